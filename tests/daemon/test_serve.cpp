// `lacquer serve` on a real jackd with the dummy backend: audio passes with exactly the
// reported latency, /healthz and /metrics answer, SIGTERM exits 0, a killed and restarted
// server is rejoined with the same connections, and bad start-up input fails clearly.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <jack/jack.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "process_helpers.hpp"

namespace lacquer::test {
namespace {

using namespace std::chrono_literals;

// Deterministic noise keyed by JACK frame time, different per channel.
float signal_at(std::uint32_t frame, int channel) {
  std::uint32_t x = frame * 2654435761u + static_cast<std::uint32_t>(channel) * 40503u + 1u;
  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  return static_cast<float>(x % 20001u) / 20000.0f - 0.5f;
}

// Two JACK clients: `src` plays signal_at() into lacquer's inputs, `rec` records lacquer's
// print outputs with the frame time of each sample. Separate clients keep the graph acyclic
// so both run in the same cycle as lacquer.
class Probe {
 public:
  static constexpr std::size_t kCapacity = 48000 * 4;

  explicit Probe(const std::string& server) : recorded_(2 * kCapacity), times_(kCapacity) {
    const auto options = static_cast<jack_options_t>(JackNoStartServer | JackServerName);
    src_ = jack_client_open("probe_src", options, nullptr, server.c_str());
    rec_ = jack_client_open("probe_rec", options, nullptr, server.c_str());
    if (src_ == nullptr || rec_ == nullptr) return;
    for (int c = 0; c < 2; ++c) {
      src_ports_[c] = jack_port_register(src_, ("src_" + std::to_string(c + 1)).c_str(),
                                         JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
      rec_ports_[c] = jack_port_register(rec_, ("rec_" + std::to_string(c + 1)).c_str(),
                                         JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    }
    jack_set_process_callback(src_, &Probe::play, this);
    jack_set_process_callback(rec_, &Probe::record, this);
    jack_on_shutdown(src_, &Probe::lost, this);
    jack_on_shutdown(rec_, &Probe::lost, this);
    jack_set_xrun_callback(src_, &Probe::xrun, this);
    jack_set_xrun_callback(rec_, &Probe::xrun, this);
    ok_ = jack_activate(src_) == 0 && jack_activate(rec_) == 0;
  }

  ~Probe() {
    for (jack_client_t* c : {src_, rec_}) {
      if (c == nullptr) continue;
      if (!server_lost_) jack_deactivate(c);
      jack_client_close(c);
    }
  }

  bool ok() const { return ok_; }

  bool connect_to(const std::string& lacquer) {
    bool ok = true;
    for (int c = 1; c <= 2; ++c) {
      const std::string n = std::to_string(c);
      ok &= jack_connect(src_, ("probe_src:src_" + n).c_str(), (lacquer + ":in_" + n).c_str()) == 0;
      ok &= jack_connect(rec_, (lacquer + ":out_" + n).c_str(), ("probe_rec:rec_" + n).c_str()) == 0;
    }
    return ok;
  }

  /// True when both directions are patched to `lacquer` (by us or by the daemon).
  bool patched(const std::string& lacquer) const {
    bool all = true;
    for (int c = 0; c < 2; ++c) {
      const std::string n = std::to_string(c + 1);
      all &= jack_port_connected_to(src_ports_[c], (lacquer + ":in_" + n).c_str()) != 0;
      all &= jack_port_connected_to(rec_ports_[c], (lacquer + ":out_" + n).c_str()) != 0;
    }
    return all;
  }

  /// Latency JACK reports for lacquer:out_1 (capture direction), max of the range.
  std::uint32_t reported_latency(const std::string& lacquer) {
    jack_port_t* port = jack_port_by_name(rec_, (lacquer + ":out_1").c_str());
    if (port == nullptr) return ~0u;
    jack_latency_range_t range{};
    jack_port_get_latency_range(port, JackCaptureLatency, &range);
    return range.max;
  }

  void start_recording() { count_.store(0), recording_.store(true); }
  void stop_recording() { recording_.store(false); }
  std::size_t recorded() const { return count_.load(); }
  /// Xruns either probe client was told of: JACK notifies each client on its own thread,
  /// so the daemon's counter alone can lag the recording that an xrun broke.
  std::uint64_t xruns_seen() const { return xruns_.load(); }

  /// RMS of everything recorded, both channels, in dBFS (-inf for silence).
  double recorded_rms_dbfs() const {
    const std::size_t n = 2 * count_.load();
    if (n == 0) return -INFINITY;
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += double{recorded_[i]} * double{recorded_[i]};
    return 10.0 * std::log10(sum / static_cast<double>(n));
  }

  /// Frames where out == in delayed by `latency`, and where it is not.
  std::pair<std::size_t, std::size_t> compare(std::uint32_t latency) const {
    std::size_t match = 0;
    std::size_t mismatch = 0;
    bool reported = false;
    for (std::size_t i = 0; i < count_.load(); ++i) {
      const std::uint32_t t = times_[i] - latency;
      bool same = true;
      for (int c = 0; c < 2; ++c) {
        same &= std::abs(recorded_[2 * i + static_cast<std::size_t>(c)] - signal_at(t, c)) < 1e-6f;
      }
      (same ? match : mismatch)++;
      if (!same && !reported) {
        reported = true;
        std::printf("first mismatch at recorded frame %zu (time %u): got %g %g, want %g %g\n", i,
                    times_[i], static_cast<double>(recorded_[2 * i]),
                    static_cast<double>(recorded_[2 * i + 1]), static_cast<double>(signal_at(t, 0)),
                    static_cast<double>(signal_at(t, 1)));
      }
    }
    return {match, mismatch};
  }

 private:
  static int play(jack_nframes_t n, void* arg) {
    auto* self = static_cast<Probe*>(arg);
    const jack_nframes_t t0 = jack_last_frame_time(self->src_);
    for (int c = 0; c < 2; ++c) {
      auto* out = static_cast<float*>(jack_port_get_buffer(self->src_ports_[c], n));
      for (jack_nframes_t i = 0; i < n; ++i) out[i] = signal_at(t0 + i, c);
    }
    return 0;
  }

  static int record(jack_nframes_t n, void* arg) {
    auto* self = static_cast<Probe*>(arg);
    if (!self->recording_.load()) return 0;
    const jack_nframes_t t0 = jack_last_frame_time(self->rec_);
    const float* in[2] = {static_cast<const float*>(jack_port_get_buffer(self->rec_ports_[0], n)),
                          static_cast<const float*>(jack_port_get_buffer(self->rec_ports_[1], n))};
    std::size_t k = self->count_.load(std::memory_order_relaxed);
    for (jack_nframes_t i = 0; i < n && k < kCapacity; ++i, ++k) {
      self->times_[k] = t0 + i;
      self->recorded_[2 * k] = in[0][i];
      self->recorded_[2 * k + 1] = in[1][i];
    }
    self->count_.store(k, std::memory_order_release);
    return 0;
  }

  static void lost(void* arg) { static_cast<Probe*>(arg)->server_lost_ = true; }

  static int xrun(void* arg) {
    static_cast<Probe*>(arg)->xruns_.fetch_add(1);
    return 0;
  }

  jack_client_t* src_ = nullptr;
  jack_client_t* rec_ = nullptr;
  jack_port_t* src_ports_[2] = {};
  jack_port_t* rec_ports_[2] = {};
  std::vector<float> recorded_;
  std::vector<std::uint32_t> times_;
  std::atomic<std::size_t> count_{0};
  std::atomic<bool> recording_{false};
  std::atomic<bool> server_lost_{false};
  std::atomic<std::uint64_t> xruns_{0};
  bool ok_ = false;
};

bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

std::uint64_t xruns(std::uint16_t port) {
  const std::string body = http_get(port, "/metrics").body;
  const auto at = body.find("\nlacquer_xruns_total ");
  return at == std::string::npos ? ~0ull : std::stoull(body.substr(at + 21));
}

// Records `frames` and compares them with the input delayed by `latency`. An xrun (the
// machine was too busy) breaks the stream without being the daemon's fault, so a window
// with an xrun is recorded again, up to six times. Xrun notices arrive after the cycle
// they concern, so the counters are read a moment after the recording ends.
void record_and_check(Probe& probe, std::uint16_t http_port, std::uint32_t latency,
                      std::size_t frames) {
  constexpr int kAttempts = 6;
  for (int attempt = 1;; ++attempt) {
    const std::uint64_t daemon_xruns_before = xruns(http_port);
    const std::uint64_t probe_xruns_before = probe.xruns_seen();
    probe.start_recording();
    wait_for([&] { return probe.recorded() >= frames; }, 10s);
    probe.stop_recording();
    const auto [match, mismatch] = probe.compare(latency);
    if (mismatch != 0 && attempt < kAttempts) {
      std::this_thread::sleep_for(200ms);
      if (xruns(http_port) != daemon_xruns_before || probe.xruns_seen() != probe_xruns_before) {
        std::printf("xrun during the recording; recording again\n");
        continue;
      }
    }
    EXPECT_GE(match, frames);
    EXPECT_EQ(mismatch, 0u) << "of " << (match + mismatch) << " frames";
    return;
  }
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<JackDummyServer>(unique_name("lq"), 48000, 256);
    ASSERT_TRUE(server_->start()) << "jackd -d dummy did not start";
    http_port_ = free_port();
    dir_ = temp_dir();
  }

  std::unique_ptr<ChildProcess> start_daemon() {
    auto daemon = std::make_unique<ChildProcess>(
        std::vector<std::string>{LACQUER_BINARY, "serve", "--jack-server", server_->name(),
                                 "--http", "127.0.0.1:" + std::to_string(http_port_), "--osc",
                                 std::to_string(free_port()), "--db", dir_ + "/lacquer.db"},
        std::vector<std::string>{"LACQUER_TOKEN=test-engineer-token"});
    const bool up = wait_for([&] { return http_get(http_port_, "/healthz").status == 200; }, 10s);
    EXPECT_TRUE(up) << daemon->stderr_text();
    return daemon;
  }

  std::unique_ptr<JackDummyServer> server_;
  std::uint16_t http_port_ = 0;
  std::string dir_;
};

TEST_F(ServeTest, PassesAudioWithReportedLatencyAndStopsOnSigterm) {
  auto daemon = start_daemon();

  const HttpResult health = http_get(http_port_, "/healthz");
  EXPECT_NE(health.body.find("\"connected\":true"), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"sample_rate\":48000"), std::string::npos) << health.body;
  EXPECT_NE(health.body.find("\"period_frames\":256"), std::string::npos) << health.body;

  const HttpResult metrics = http_get(http_port_, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("lacquer_xruns_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("lacquer_dsp_load_percent"), std::string::npos);
  EXPECT_NE(metrics.body.find("lacquer_period_frames 256"), std::string::npos);

  Probe probe(server_->name());
  ASSERT_TRUE(probe.ok());
  ASSERT_TRUE(probe.connect_to("lacquer"));
  std::this_thread::sleep_for(100ms);  // connections take effect at a cycle boundary
  const std::uint32_t latency = probe.reported_latency("lacquer");
  ASSERT_NE(latency, ~0u);
  std::printf("reported chain latency: %u frames\n", latency);
  record_and_check(probe, http_port_, latency, 48000);

  const auto stop_started = std::chrono::steady_clock::now();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(2000), 0) << daemon->stderr_text();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, 2s);
}

TEST_F(ServeTest, RejoinsARestartedServerWithTheSameConnections) {
  auto daemon = start_daemon();
  {
    Probe probe(server_->name());
    ASSERT_TRUE(probe.ok());
    ASSERT_TRUE(probe.connect_to("lacquer"));
    std::this_thread::sleep_for(400ms);  // the daemon notes its connections when supervising
    record_and_check(probe, http_port_, probe.reported_latency("lacquer"), 4800);
    server_->kill_hard();
    EXPECT_TRUE(wait_for([&] { return http_get(http_port_, "/healthz").status == 503; }, 3s));
    EXPECT_NE(http_get(http_port_, "/healthz").body.find("\"connected\":false"), std::string::npos);
  }
  ASSERT_TRUE(daemon->running()) << daemon->stderr_text();

  ASSERT_TRUE(server_->start());
  const auto returned = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_for([&] { return http_get(http_port_, "/healthz").status == 200; }, 2s))
      << daemon->stderr_text();
  std::printf("rejoined %lld ms after the server returned\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - returned)
                                         .count()));

  // The peers come back under their old names; the daemon restores the patching itself.
  Probe probe(server_->name());
  ASSERT_TRUE(probe.ok());
  EXPECT_TRUE(wait_for([&] { return probe.patched("lacquer"); }, 2s));
  std::this_thread::sleep_for(100ms);  // connections take effect at a cycle boundary
  record_and_check(probe, http_port_, probe.reported_latency("lacquer"), 4800);
  EXPECT_NE(http_get(http_port_, "/metrics").body.find("lacquer_jack_reconnects_total 1"),
            std::string::npos);

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(2000), 0);
}

// Every process callback is timed: /healthz gives the percentiles of the last 5-s window and
// /metrics a histogram whose count follows the cycles JACK ran.
TEST_F(ServeTest, TimesEveryProcessCallback) {
  auto daemon = start_daemon();
  nlohmann::json window;
  ASSERT_TRUE(wait_for([&] {
    const auto health = nlohmann::json::parse(http_get(http_port_, "/healthz").body, nullptr, false);
    window = health.is_object() ? health["process_callback"] : nlohmann::json();
    return window.is_object();
  }, 8s)) << "no window in /healthz";
  EXPECT_EQ(window["window_s"], 5);
  // 5 s of 256-frame periods at 48 kHz are 937.5 callbacks; the dummy backend keeps time.
  EXPECT_NEAR(window["callbacks"].get<double>(), 937.5, 50) << window;
  const double period_us = 256 / 48000.0 * 1e6;
  EXPECT_GT(window["p50_us"].get<double>(), 0) << window;
  EXPECT_LT(window["p50_us"].get<double>(), period_us / 2) << window;
  EXPECT_LE(window["p50_us"], window["p99_us"]);
  EXPECT_LE(window["p99_us"], window["p999_us"]);
  EXPECT_LE(window["p999_us"], window["max_us"]);

  const std::string metrics = http_get(http_port_, "/metrics").body;
  const auto value = [&](const std::string& series) {
    const auto at = metrics.find("\n" + series + " ");
    return at == std::string::npos ? -1.0 : std::stod(metrics.substr(at + series.size() + 2));
  };
  const double count = value("lacquer_process_callback_seconds_count");
  EXPECT_GE(count, window["callbacks"].get<double>());
  EXPECT_EQ(value(R"(lacquer_process_callback_seconds_bucket{le="+Inf"})"), count);
  double below = 0;
  for (const char* le : {"2.5e-05", "5e-05", "0.0001", "0.0002", "0.0004", "0.0008", "0.0016",
                         "0.0032", "0.0064"}) {
    const double bucket = value(std::string("lacquer_process_callback_seconds_bucket{le=\"") + le + "\"}");
    EXPECT_GE(bucket, below) << le;
    below = bucket;
  }
  const double sum = value("lacquer_process_callback_seconds_sum");
  EXPECT_GT(sum, 0);
  EXPECT_LT(sum / count, period_us * 1e-6 / 2);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(2000), 0);
}

TEST_F(ServeTest, RunsTheDemo) {
  auto daemon = std::make_unique<ChildProcess>(
      std::vector<std::string>{LACQUER_BINARY, "serve", "--demo", "--jack-server", server_->name(),
                               "--http", "127.0.0.1:" + std::to_string(http_port_), "--osc",
                               std::to_string(free_port()), "--db", dir_ + "/demo.db"},
      std::vector<std::string>{"LACQUER_TOKEN=t"});
  ASSERT_TRUE(wait_for([&] { return http_get(http_port_, "/healthz").status == 200; }, 10s))
      << daemon->stderr_text();
  EXPECT_NE(http_get(http_port_, "/healthz").body.find("\"playing\":true"), std::string::npos);
  EXPECT_NE(daemon->stdout_text().find("http://127.0.0.1:" + std::to_string(http_port_) + "/"),
            std::string::npos);

  // The demo replaces the inputs: the print carries programme material, not silence.
  Probe probe(server_->name());
  ASSERT_TRUE(probe.ok());
  ASSERT_TRUE(probe.connect_to("lacquer"));
  std::this_thread::sleep_for(100ms);
  probe.start_recording();
  wait_for([&] { return probe.recorded() >= 24000; }, 5s);
  probe.stop_recording();
  const auto [match, mismatch] = probe.compare(probe.reported_latency("lacquer"));
  EXPECT_EQ(match, 0u);
  EXPECT_GT(mismatch, 0u);
  EXPECT_GT(probe.recorded_rms_dbfs(), -40.0);  // a mix, not silence or a trickle
  daemon->signal(SIGINT);
  EXPECT_EQ(daemon->wait(2000), 0);
}

TEST_F(ServeTest, BacksUpTheDatabaseOnASchedule) {
  const std::string config = dir_ + "/backup.toml";
  std::ofstream(config) << "[database]\nbackup_interval_h = 0.0003\n";  // about a second
  auto daemon = std::make_unique<ChildProcess>(
      std::vector<std::string>{LACQUER_BINARY, "serve", "--config", config, "--jack-server",
                               server_->name(), "--http", "127.0.0.1:" + std::to_string(http_port_),
                               "--osc", std::to_string(free_port()), "--db", dir_ + "/kept.db"},
      std::vector<std::string>{"LACQUER_TOKEN=t"});
  ASSERT_TRUE(wait_for([&] { return http_get(http_port_, "/healthz").status == 200; }, 10s))
      << daemon->stderr_text();
  EXPECT_TRUE(wait_for(
      [&] {
        return http_get(http_port_, "/metrics").body.find("lacquer_backups_total 0") ==
               std::string::npos;
      },
      5s));
  std::size_t copies = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/kept.db.backups")) {
    copies += entry.path().extension() == ".db";
  }
  EXPECT_GE(copies, 1u);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(2000), 0) << daemon->stderr_text();
}

// Start-up failures: each a clear one-line message on stderr and a non-zero exit.
std::pair<int, std::string> run_failing(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {LACQUER_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess p(argv, {"LACQUER_TOKEN=t"});
  const int rc = p.wait(10000);
  return {rc, p.stderr_text()};
}

// Lines other than the daemon's informational log lines written before the failure.
std::size_t lines(const std::string& s) {
  std::size_t n = 0;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) n += line.find(" info ") == std::string::npos;
  return n;
}

TEST(ServeStartup, UnknownFlag) {
  const auto [rc, err] = run_failing({"serve", "--no-such-flag"});
  EXPECT_NE(rc, 0);
  EXPECT_NE(err.find("--no-such-flag"), std::string::npos) << err;
  EXPECT_EQ(lines(err), 1u) << err;
}

TEST(ServeStartup, BadConfigFile) {
  const std::string path = temp_dir() + "/bad.toml";
  std::ofstream(path) << "[http]\nport = \"not a number\nx = [\n";
  const auto [rc, err] = run_failing({"serve", "--config", path});
  EXPECT_NE(rc, 0);
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_EQ(lines(err), 1u) << err;

  const std::string wrong_type = temp_dir() + "/wrong.toml";
  std::ofstream(wrong_type) << "[http]\nport = 99999\n";
  const auto [rc2, err2] = run_failing({"serve", "--config", wrong_type});
  EXPECT_NE(rc2, 0);
  EXPECT_NE(err2.find("http.port"), std::string::npos) << err2;
}

TEST(ServeStartup, HttpPortInUse) {
  JackDummyServer server(unique_name("lq"), 48000, 256);
  ASSERT_TRUE(server.start());
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  const auto [rc, err] = run_failing({"serve", "--jack-server", server.name(), "--http",
                                      "127.0.0.1:" + port, "--osc", std::to_string(free_port())});
  close(fd);
  EXPECT_NE(rc, 0);
  EXPECT_NE(err.find("127.0.0.1:" + port), std::string::npos) << err;
  EXPECT_EQ(lines(err), 1u) << err;
}

TEST(ServeStartup, NoJackServer) {
  const auto [rc, err] = run_failing({"serve", "--jack-server", unique_name("absent"), "--http",
                                      "127.0.0.1:" + std::to_string(free_port()), "--osc",
                                      std::to_string(free_port())});
  EXPECT_NE(rc, 0);
  EXPECT_NE(err.find("cannot connect to JACK server"), std::string::npos) << err;
  EXPECT_EQ(lines(err), 1u) << err;
}

}  // namespace
}  // namespace lacquer::test
