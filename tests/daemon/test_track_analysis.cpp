// QC of a session's tracks in `lacquer serve` (jackd -d dummy, a temporary database): a
// generated mix with a planted clip and click added through the API is analysed on the
// daemon's worker while HTTP stays responsive, the events come back at their times over
// GET .../analysis and the WebSocket push, the report is in the reports table, and the same
// file in another session is not analysed again. A session opened with a track that has
// no analysis gets one; a daemon stopped while it analyses exits at once.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lacquer/session/sha256.hpp"
#include "lacquer/session/store.hpp"
#include "music.hpp"
#include "process_helpers.hpp"
#include "ws_client.hpp"

namespace lacquer::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kToken = "analysis-token";
constexpr double kClipAt = 3.0;
constexpr double kClickAt = 5.13;

bool has_event(const json& events, const std::string& type, double time_s, int channel) {
  for (const auto& e : events) {
    if (e.value("type", "") == type && std::fabs(e.value("time_s", -1.0) - time_s) <= 0.010 &&
        e["channel"] == json(channel)) {
      return true;
    }
  }
  return false;
}

std::string sha256_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  session::Sha256 sha;
  sha.update(bytes);
  std::string hex;
  for (const auto b : sha.finish()) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", b);
    hex += two;
  }
  return hex;
}

class TrackAnalysisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_dir();
    jack_ = std::make_unique<JackDummyServer>(unique_name("lqa"), 48000, 256);
    ASSERT_TRUE(jack_->start());
    port_ = free_port();
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{LACQUER_BINARY, "serve", "--jack-server", jack_->name(), "--http",
                                 "127.0.0.1:" + std::to_string(port_), "--osc",
                                 std::to_string(free_port()), "--db", dir_ + "/lacquer.db"},
        std::vector<std::string>{std::string("LACQUER_TOKEN=") + kToken});
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (http_get(port_, "/healthz", 500).status != 200) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon_->stderr_text();
      std::this_thread::sleep_for(50ms);
    }
  }

  void TearDown() override {
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(10000), 0) << daemon_->stderr_text();
  }

  HttpResult api(const std::string& method, const std::string& path, const json& body = nullptr) {
    return http_call(port_, method, path, kToken, body.is_null() ? "" : body.dump());
  }

  /// A new session holding `file` as its track: {session id, track id}.
  std::pair<int, int> session_with(const std::string& file) {
    const auto s = api("POST", "/api/sessions", {{"title", "QC"}});
    EXPECT_EQ(s.status, 201) << s.body;
    const int session = json::parse(s.body)["id"];
    const auto t = api("POST", "/api/sessions/" + std::to_string(session) + "/tracks", {{"file", file}});
    EXPECT_EQ(t.status, 201) << t.body;
    return {session, json::parse(t.body)["id"].get<int>()};
  }

  std::string analysis_route(int session, int track) {
    return "/api/sessions/" + std::to_string(session) + "/tracks/" + std::to_string(track) + "/analysis";
  }

  std::string dir_;
  std::unique_ptr<JackDummyServer> jack_;
  std::unique_ptr<ChildProcess> daemon_;
  std::uint16_t port_ = 0;
};

TEST_F(TrackAnalysisTest, AnalysesAddedTracksOnAWorkerAndStoresTheReport) {
  // 60 s of music with drums: long enough that the analysis takes a while.
  analysis::test::Audio mix = analysis::test::music(60.0);
  const auto frame = [](double t) { return static_cast<std::size_t>(std::lround(t * 48000.0)); };
  for (std::size_t i = 0; i < 6; ++i) mix.at(frame(kClipAt) + i, 0) = 1.0f;
  mix.at(frame(kClickAt), 1) += 0.4f;
  const std::string file = dir_ + "/defective.wav";
  ASSERT_TRUE(analysis::test::write_wav(file, mix, SF_FORMAT_WAV | SF_FORMAT_FLOAT));

  WsClient ws(port_);
  ASSERT_EQ(ws.call({{"op", "auth"}, {"token", kToken}}).value("role", ""), "engineer");
  ASSERT_EQ(ws.call({{"op", "subscribe"}, {"topics", {"analysis"}}}).value("ok", false), true);

  const auto [session, track] = session_with(file);
  const std::string route = analysis_route(session, track);
  auto got = api("GET", route);
  ASSERT_EQ(got.status, 202) << got.body;
  EXPECT_EQ(json::parse(got.body).value("status", ""), "pending");

  // The executor answers at once while the worker analyses.
  int answered_while_pending = 0;
  auto slowest = std::chrono::steady_clock::duration::zero();
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while ((got = api("GET", route)).status == 202) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_EQ(http_get(port_, "/healthz", 1000).status, 200);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
    ++answered_while_pending;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_GT(answered_while_pending, 3);
  EXPECT_LT(slowest, 100ms);
  std::printf("healthz answered %d times during the analysis, slowest in %.1f ms\n",
              answered_while_pending, std::chrono::duration<double, std::milli>(slowest).count());

  const json report = json::parse(got.body);
  EXPECT_EQ(report.value("file", ""), file);
  EXPECT_NEAR(report.value("duration_s", 0.0), 60.0, 0.01);
  EXPECT_TRUE(has_event(report["events"], "clip", kClipAt, 0)) << report["events"].dump();
  EXPECT_TRUE(has_event(report["events"], "click", kClickAt, 1)) << report["events"].dump();
  EXPECT_TRUE(report["loudness"]["integrated_lufs"].is_number());

  const json push = ws.read();
  EXPECT_EQ(push.value("op", ""), "analysis");
  EXPECT_EQ(push.value("session", 0), session);
  EXPECT_EQ(push.value("track", 0), track);
  EXPECT_EQ(push["events"], report["events"]);
  EXPECT_EQ(push["loudness"], report["loudness"]);

  // The same file in another session: the stored analysis is copied, not redone.
  const auto [again_session, again_track] = session_with(file);
  got = api("GET", analysis_route(again_session, again_track));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json::parse(got.body), report);
  EXPECT_EQ(daemon_->stderr_text().find("analysed " + file), daemon_->stderr_text().rfind("analysed " + file));

  // An invited client reads it; a client of the other session may not.
  const auto invite = [this](int s) {
    const auto r = api("POST", "/api/sessions/" + std::to_string(s) + "/invites", {{"name", "Artist"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).value("token", "");
  };
  EXPECT_EQ(http_call(port_, "GET", route, invite(session)).status, 200);
  EXPECT_EQ(http_call(port_, "GET", route, invite(again_session)).status, 403);

  // Wrong session for the track, unknown track.
  EXPECT_EQ(api("GET", analysis_route(again_session, track)).status, 404);
  EXPECT_EQ(api("GET", analysis_route(session, 999)).status, 404);

  auto store = session::Store::open(dir_ + "/lacquer.db");
  for (const int s : {session, again_session}) {
    auto reports = store->reports(s);
    ASSERT_TRUE(reports.ok());
    ASSERT_EQ(reports->size(), 1U);
    EXPECT_EQ(reports->front().kind, session::ReportKind::source);
    EXPECT_EQ(reports->front().label.size(), 64U);  // the file's SHA-256
    EXPECT_EQ(reports->front().data, report);
  }
}

TEST_F(TrackAnalysisTest, OpeningASessionAnalysesItsTracksThatHaveNone) {
  // A track stored by another program (no analysis yet), beside the running daemon.
  const std::string file = dir_ + "/tone.wav";
  ASSERT_TRUE(analysis::test::write_wav(file, analysis::test::tone({{10.0, -20.0}})));
  session::Id session = 0, track = 0;
  {
    auto store = session::Store::open(dir_ + "/lacquer.db");
    auto s = store->create_session({.title = "Stored"});
    ASSERT_TRUE(s.ok());
    session = s->id;
    auto t = store->add_track({.session_id = session, .file_path = file, .file_sha256 = sha256_of(file)});
    ASSERT_TRUE(t.ok());
    track = t->id;
  }
  EXPECT_EQ(api("GET", analysis_route(session, track)).status, 404);
  ASSERT_EQ(api("POST", "/api/sessions/" + std::to_string(session) + "/open").status, 200);
  HttpResult got;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while ((got = api("GET", analysis_route(session, track))).status == 202) {
    ASSERT_EQ(json::parse(got.body).value("status", ""), "pending") << got.body;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_NEAR(json::parse(got.body).value("duration_s", 0.0), 10.0, 0.001);
}

TEST_F(TrackAnalysisTest, StopsAtOnceWhileAnalysing) {
  const std::string file = dir_ + "/long.wav";
  ASSERT_TRUE(analysis::test::write_wav(file, analysis::test::tone({{150.0, -20.0}})));
  const auto [session, track] = session_with(file);
  ASSERT_EQ(json::parse(api("GET", analysis_route(session, track)).body).value("status", ""), "pending");
  std::this_thread::sleep_for(300ms);  // the worker is inside the analysis
  const auto start = std::chrono::steady_clock::now();
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait(10000), 0);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 1500ms);
  std::printf("stopped %.0f ms after SIGTERM during an analysis\n",
              std::chrono::duration<double, std::milli>(took).count());
  EXPECT_EQ(daemon_->stderr_text().find("analysed " + file), std::string::npos);
}

}  // namespace
}  // namespace lacquer::test
