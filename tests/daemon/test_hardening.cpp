// Attacks on a running daemon (jackd -d dummy, a temporary database): descriptor
// exhaustion, connection floods, track files that are not the studio's audio, spreadsheet
// formulas and absurd times in notes, secrets on stdout, and log floods.
#include <arpa/inet.h>
#include <jack/jack.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process_helpers.hpp"

namespace lacquer::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kToken = "hardening-token";

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Idle TCP connections to the daemon, closed together.
class IdleConnections {
 public:
  IdleConnections(std::uint16_t port, int n) {
    for (int i = 0; i < n; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port);
      if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        fds_.push_back(fd);
      } else if (fd >= 0) {
        close(fd);
      }
    }
  }
  ~IdleConnections() { close_all(); }
  void close_all() {
    for (int fd : fds_) close(fd);
    fds_.clear();
  }
  std::size_t size() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
};

bool wait_for_status(std::uint16_t port, const std::string& path, int status,
                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (http_get(port, path, 500).status == status) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

class Hardening : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    jack_ = std::make_unique<JackDummyServer>(unique_name("lqh"), 48000, 256);
    ASSERT_TRUE(jack_->start());
  }

  void TearDown() override {
    if (daemon_) {
      daemon_->signal(SIGTERM);
      daemon_->wait(5000);
    }
  }

  /// Starts `lacquer serve`, under `prefix` (e.g. prlimit) and with `config` as its file.
  void start(const std::vector<std::string>& prefix = {}, const std::string& config = "",
             bool with_token = true) {
    port_ = free_port();
    std::vector<std::string> argv = prefix;
    for (const std::string& a :
         {std::string(LACQUER_BINARY), std::string("serve"), std::string("--jack-server"),
          jack_->name(), std::string("--http"), "127.0.0.1:" + std::to_string(port_),
          std::string("--osc"), std::to_string(free_port()), std::string("--db"), db()}) {
      argv.push_back(a);
    }
    if (!config.empty()) {
      std::ofstream(dir_ + "/lacquer.toml") << config;
      argv.push_back("--config");
      argv.push_back(dir_ + "/lacquer.toml");
    }
    std::vector<std::string> env;
    if (with_token) env.push_back(std::string("LACQUER_TOKEN=") + kToken);
    daemon_ = std::make_unique<ChildProcess>(argv, env);
    ASSERT_TRUE(wait_for_status(port_, "/healthz", 200, 10s)) << daemon_->stderr_text();
  }

  std::string db() const { return dir_ + "/lacquer.db"; }

  json api(const std::string& method, const std::string& path, const json& body = nullptr,
           int expected = 0) {
    const auto r = http_call(port_, method, path, kToken, body.is_null() ? "" : body.dump());
    if (expected != 0) EXPECT_EQ(r.status, expected) << method << " " << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  /// A 2 s stereo 48 kHz sine written by sox into `folder`.
  std::string write_tone(const std::string& folder) {
    const std::string file = folder + "/tone.wav";
    const std::string cmd = "sox -n -r 48000 -c 2 -b 16 " + file + " synth 2 sine 440 vol 0.3";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return file;
  }

  std::string dir_;
  std::unique_ptr<JackDummyServer> jack_;
  std::unique_ptr<ChildProcess> daemon_;
  std::uint16_t port_ = 0;
};

TEST_F(Hardening, AcceptResumesAfterDescriptorsRunOut) {
  // No connection caps: the descriptor limit itself is what 1100 connections meet.
  start({"prlimit", "--nofile=1024:1024"},
        "[http]\nmax_connections = 100000\nmax_per_address = 100000\n");
  {
    IdleConnections flood(port_, 1100);
    EXPECT_EQ(flood.size(), 1100U);  // the kernel's backlog completes them all
    std::this_thread::sleep_for(1500ms);
  }
  EXPECT_TRUE(wait_for_status(port_, "/healthz", 200, 5s)) << daemon_->stderr_text();
  const std::string metrics = http_get(port_, "/metrics").body;
  EXPECT_EQ(metrics.find("lacquer_http_accept_backoffs_total 0\n"), std::string::npos) << metrics;
  // One line about it, not one per failed accept.
  EXPECT_LE(count(daemon_->stderr_text(), "out of file descriptors"), 2U);
}

TEST_F(Hardening, HttpAnswersDuringAFloodWithinTheDescriptorLimit) {
  start({"prlimit", "--nofile=1024:1024"});
  IdleConnections flood(port_, 1100);
  EXPECT_EQ(flood.size(), 1100U);
  // The newest connection is admitted by closing the flood's oldest unauthenticated one.
  EXPECT_TRUE(wait_for_status(port_, "/healthz", 200, 5s)) << daemon_->stderr_text();
  flood.close_all();
  EXPECT_TRUE(wait_for_status(port_, "/healthz", 200, 5s));
}

TEST_F(Hardening, TrackSourcesAreAudioFilesInsideTheMediaFolders) {
  start();
  const auto session = api("POST", "/api/sessions", {{"title", "T"}}, 201)["id"].get<int>();
  const std::string tracks = "/api/sessions/" + std::to_string(session) + "/tracks";
  const auto t0 = std::chrono::steady_clock::now();
  api("POST", tracks, {{"file", "/dev/zero"}}, 403);  // outside the media folders
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  api("POST", tracks, {{"file", "/etc/shadow"}}, 403);
  api("POST", tracks, {{"file", "/etc/passwd"}}, 403);
  // Inside the folder (the database's) but not audio: a link out, a FIFO, a text file.
  ASSERT_EQ(symlink("/etc/passwd", (dir_ + "/passwd.wav").c_str()), 0);
  api("POST", tracks, {{"file", dir_ + "/passwd.wav"}}, 403);
  ASSERT_EQ(mkfifo((dir_ + "/pipe.wav").c_str(), 0600), 0);
  api("POST", tracks, {{"file", dir_ + "/pipe.wav"}}, 400);
  std::ofstream(dir_ + "/notes.wav") << "not audio\n";
  api("POST", tracks, {{"file", dir_ + "/notes.wav"}}, 400);
  api("POST", tracks, {{"file", dir_ + "/../" + dir_.substr(dir_.rfind('/') + 1) + "/missing.wav"}},
      400);
  EXPECT_EQ(http_get(port_, "/healthz").status, 200);

  const std::string tone = write_tone(dir_);
  const auto added = api("POST", tracks, {{"file", tone}, {"title", "Tone"}}, 201);
  const auto listed = api("GET", "/api/sessions/" + std::to_string(session), nullptr, 200);
  ASSERT_EQ(listed["tracks"].size(), 1U);
  EXPECT_EQ(listed["tracks"][0]["id"], added["id"]);
  EXPECT_EQ(listed["tracks"][0]["file"], tone);
}

TEST_F(Hardening, NotesAreBoundedByTheTrackAndExportedWithoutFormulas) {
  start();
  const auto session = api("POST", "/api/sessions", {{"title", "T"}}, 201)["id"].get<int>();
  const std::string base = "/api/sessions/" + std::to_string(session);
  const auto track = api("POST", base + "/tracks", {{"file", write_tone(dir_)}}, 201)["id"];
  const std::string notes = base + "/notes";
  api("POST", notes, {{"track", track}, {"time_s", 1e308}, {"text", "far"}}, 400);
  api("POST", notes, {{"track", track}, {"time_s", 3.0}, {"text", "after the end"}}, 400);
  api("POST", notes, {{"track", track}, {"time_s", -1.0}, {"text", "before"}}, 400);
  api("POST", notes, {{"time_s", 1e308}, {"text", "release"}}, 400);
  api("POST", notes, {{"track", track}, {"time_s", 1.5}, {"text", "=HYPERLINK(\"http://x\",\"y\")"}},
      201);
  api("POST", notes, {{"track", track}, {"time_s", 1.0}, {"text", "@SUM(A1)"}}, 201);
  api("POST", notes, {{"track", track}, {"time_s", 0.5}, {"text", "-2 dB at the kick"}}, 201);
  const std::string csv = http_call(port_, "GET", notes + ".csv", kToken).body;
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"'@SUM(A1)\""), std::string::npos) << csv;
  EXPECT_NE(csv.find("\"'-2 dB at the kick\""), std::string::npos) << csv;
  EXPECT_EQ(csv.find(",=HYPERLINK"), std::string::npos) << csv;
  const std::string markers = http_call(port_, "GET", base + "/markers.csv", kToken).body;
  EXPECT_EQ(markers.find("e+308"), std::string::npos) << markers;
}

TEST_F(Hardening, GeneratedEngineerTokenStaysOffStdout) {
  start({}, "", false);
  const std::string file = db() + ".engineer-token";
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0) << daemon_->stdout_text();
  EXPECT_EQ(st.st_mode & 0777, 0600U);
  std::string token = slurp(file);
  while (!token.empty() && token.back() == '\n') token.pop_back();
  ASSERT_EQ(token.size(), 43U);
  EXPECT_EQ(daemon_->stdout_text().find(token), std::string::npos);
  EXPECT_EQ(daemon_->stderr_text().find(token), std::string::npos);
  EXPECT_NE(daemon_->stdout_text().find(file), std::string::npos) << daemon_->stdout_text();
  EXPECT_EQ(http_call(port_, "GET", "/api/sessions", token).status, 200);
}

TEST_F(Hardening, RefusedListenUpgradesAreLoggedAFewTimes) {
  start();
  for (int i = 0; i < 500; ++i) {
    const auto r = http_request(
        port_,
        "GET /listen HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://evil.example\r\n\r\n",
        2000);
    ASSERT_EQ(r.status, 403);
  }
  EXPECT_LE(count(daemon_->stderr_text(), "refused a WebSocket"), 2U) << daemon_->stderr_text();
}

TEST_F(Hardening, AVanishedJackPeerIsNotLoggedOverAndOver) {
  start();
  jack_status_t status{};
  jack_client_t* peer = jack_client_open("lqpeer", static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                                         &status, jack_->name().c_str());
  ASSERT_NE(peer, nullptr);
  jack_port_t* in = jack_port_register(peer, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  ASSERT_NE(in, nullptr);
  ASSERT_EQ(jack_activate(peer), 0);
  ASSERT_EQ(jack_connect(peer, "lacquer:out_1", "lqpeer:in"), 0);
  std::this_thread::sleep_for(500ms);  // the daemon remembers the connection
  jack_client_close(peer);
  std::this_thread::sleep_for(3s);
  EXPECT_LE(count(daemon_->stderr_text(), "Unknown destination port"), 5U) << daemon_->stderr_text();
  EXPECT_EQ(http_get(port_, "/healthz").status, 200);
}

}  // namespace
}  // namespace lacquer::test
