// The calibration through a running daemon: `lacquer serve` (microphone port from its
// configuration) plays the sweep on the monitor output of the speaker asked for, room_sim
// carries both speakers to one microphone (left: 3.2 ms, -9 dB and a +8 dB mode at 63 Hz;
// right: 2.0 ms, -6 dB), and the daemon stores each result and sets the monitor path: the
// right speaker turned down to the left's level, delayed to arrive with it, the left's
// correction bells in its EQ. A speaker that is not patched fails clearly and stores nothing.
// The same from OSC (oscsend, replies read by oscdump) and the WebSocket, engineer only, with
// /calibration/status pushed as it goes; a verification measured through the applied
// correction (flat around the mode); and the JACK server killed mid-sweep: a clear error,
// nothing stored, and a measurement again once the server is back.
#include <gtest/gtest.h>
#include <jack/jack.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "process_helpers.hpp"
#include "rbj_bell.hpp"
#include "ws_client.hpp"

namespace lacquer::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kRate = 48000;
constexpr double kLeftDelayMs = 3.2;
constexpr double kLeftGainDb = -9.0;
constexpr double kRightDelayMs = 2.0;
constexpr double kRightGainDb = -6.0;
constexpr double kModeHz = 63.0;
const std::string kToken = "calibration-engineer-token";

// The left path's power gain over 500 Hz-2 kHz (the mode's skirt included).
double left_level_db() {
  const Bell mode(kRate, kModeHz, 8.0, 4.0);
  double sum = 0.0;
  constexpr int kPoints = 400;
  for (int i = 0; i < kPoints; ++i) {
    const double f = 500.0 + 1500.0 * (i + 0.5) / kPoints;
    const double g = std::pow(10.0, kLeftGainDb / 20.0) * mode.magnitude(kRate, f);
    sum += g * g;
  }
  return 10.0 * std::log10(sum / kPoints);
}

class CalibrateDaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    jack_ = std::make_unique<JackDummyServer>(unique_name("cald"), kRate, 1024);
    ASSERT_TRUE(jack_->start());
    room_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        ROOM_SIM_BINARY, "--server", jack_->name(), "--delay-ms", std::to_string(kLeftDelayMs),
        "--gain-db", std::to_string(kLeftGainDb), "--mode", "63,8,4", "--delay2-ms",
        std::to_string(kRightDelayMs), "--gain2-db", std::to_string(kRightGainDb)});
    dir_ = temp_dir();
    {
      std::ofstream config(dir_ + "/lacquer.toml");
      config << "[calibration]\nmicrophone = \"room:mic\"\n";
    }
    port_ = free_port();
    osc_port_ = free_port();
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{LACQUER_BINARY, "serve", "--config", dir_ + "/lacquer.toml",
                                 "--jack-server", jack_->name(), "--http",
                                 "127.0.0.1:" + std::to_string(port_), "--osc",
                                 std::to_string(osc_port_), "--db", dir_ + "/lacquer.db"},
        std::vector<std::string>{"LACQUER_TOKEN=" + kToken});
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (http_get(port_, "/healthz", 500).status != 200) {
      ASSERT_TRUE(std::chrono::steady_clock::now() < deadline && daemon_->running())
          << daemon_->stderr_text();
      std::this_thread::sleep_for(50ms);
    }
    open_probe(deadline);
    ASSERT_EQ(jack_connect(probe_, "lacquer:mon_1", "room:speaker"), 0);
  }

  // A client of our own on the server, once room_sim's and the daemon's ports are there.
  void open_probe(std::chrono::steady_clock::time_point deadline) {
    probe_ = jack_client_open("cald_probe",
                              static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                              nullptr, jack_->name().c_str());
    ASSERT_NE(probe_, nullptr);
    for (const char* port : {"room:speaker_2", "lacquer:mon_1"}) {
      while (jack_port_by_name(probe_, port) == nullptr) {
        ASSERT_TRUE(std::chrono::steady_clock::now() < deadline && room_->running())
            << port << room_->stderr_text() << daemon_->stderr_text();
        std::this_thread::sleep_for(20ms);
      }
    }
  }

  void TearDown() override {
    if (probe_ != nullptr) jack_client_close(probe_);
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(10000), 0) << daemon_->stderr_text();
    room_->signal(SIGTERM);
    room_->wait(5000);
  }

  HttpResult measure(const std::string& speaker, const std::string& token = kToken,
                     json extra = json::object()) {
    json body{{"set", "main"}, {"speaker", speaker}, {"duration_s", 3}};
    body.update(extra);
    return http_call(port_, "POST", "/api/calibration/measure", token, body.dump(), 40000);
  }

  json calibrations() {
    const auto r = http_call(port_, "GET", "/api/calibration", kToken);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }

  std::string client_token() {
    const auto session = http_call(port_, "POST", "/api/sessions", kToken, json{{"title", "S"}}.dump());
    EXPECT_EQ(session.status, 201) << session.body;
    const auto invite = http_call(
        port_, "POST",
        "/api/sessions/" + std::to_string(json::parse(session.body)["id"].get<int>()) + "/invites",
        kToken, json{{"name", "Mara"}}.dump());
    EXPECT_EQ(invite.status, 201) << invite.body;
    return json::parse(invite.body)["token"];
  }

  json state() {
    const auto r = http_call(port_, "GET", "/api/state", kToken);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["values"];
  }

  std::unique_ptr<JackDummyServer> jack_;
  std::unique_ptr<ChildProcess> room_;
  std::unique_ptr<ChildProcess> daemon_;
  jack_client_t* probe_ = nullptr;
  std::string dir_;
  std::uint16_t port_ = 0;
  std::uint16_t osc_port_ = 0;
};

void oscsend(std::uint16_t port, const std::string& message) {
  const std::string command = "oscsend localhost " + std::to_string(port) + " " + message;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// Waits until oscdump has printed a line holding `text`; returns that line.
std::string wait_for_line(ChildProcess& dump, const std::string& text, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = dump.stdout_text();
    if (const auto at = out.find(text); at != std::string::npos) {
      const auto start = out.rfind('\n', at);
      const auto end = out.find('\n', at);
      return out.substr(start == std::string::npos ? 0 : start + 1,
                        end == std::string::npos ? std::string::npos : end - start - 1);
    }
    std::this_thread::sleep_for(50ms);
  }
  return {};
}

// Reads WebSocket frames until one matches.
json read_until(WsClient& ws, const std::function<bool(const json&)>& matches) {
  for (;;) {
    json m = ws.read();
    if (matches(m)) return m;
  }
}

bool status_is(const json& m, const std::string& prefix) {
  return m.value("op", "") == "param" && m.value("path", "") == "/calibration/status" &&
         m["value"].get<std::string>().starts_with(prefix);
}

TEST_F(CalibrateDaemonTest, MeasuresEachSpeakerStoresItAndAlignsTheSet) {
  const auto left = measure("left");
  ASSERT_EQ(left.status, 200) << left.body << daemon_->stderr_text();
  const json l = json::parse(left.body);
  const json& lr = l["calibration"]["result"];
  EXPECT_EQ(l["calibration"]["speaker_set"], "main");
  EXPECT_EQ(lr["output_port"], "lacquer:mon_1");
  EXPECT_EQ(lr["input_port"], "room:mic");
  EXPECT_NEAR(lr["delay_samples"].get<long>(), std::lround(kLeftDelayMs * 48.0), 1);
  EXPECT_NEAR(lr["level_db"].get<double>(), left_level_db(), 0.5);
  ASSERT_FALSE(lr["correction"].empty());
  const json& cut = lr["correction"][0];
  EXPECT_LT(std::abs(std::log2(cut["freq"].get<double>() / kModeHz)), 1.0 / 6.0) << cut;
  EXPECT_NEAR(cut["gain"].get<double>(), -8.0, 1.0) << cut;

  // The right speaker is not patched yet: nothing reaches the microphone.
  const auto unpatched = measure("right");
  EXPECT_EQ(unpatched.status, 400) << unpatched.body;
  EXPECT_NE(unpatched.body.find("no response above the noise floor"), std::string::npos)
      << unpatched.body;

  ASSERT_EQ(jack_connect(probe_, "lacquer:mon_2", "room:speaker_2"), 0);
  const auto right = measure("right");
  ASSERT_EQ(right.status, 200) << right.body << daemon_->stderr_text();
  const json rr = json::parse(right.body)["calibration"]["result"];
  EXPECT_EQ(rr["output_port"], "lacquer:mon_2");
  EXPECT_NEAR(rr["delay_samples"].get<long>(), std::lround(kRightDelayMs * 48.0), 1);
  EXPECT_NEAR(rr["level_db"].get<double>(), kRightGainDb, 0.3);

  // Levels to the quieter (left) speaker, arrivals to the farther (left) one.
  const json v = state();
  const std::string ls = "/monitor/speakers/main/left";
  const std::string rs = "/monitor/speakers/main/right";
  EXPECT_NEAR(v[ls + "/trim"].get<double>(), 0.0, 1e-9);
  EXPECT_NEAR(v[rs + "/trim"].get<double>(), left_level_db() - kRightGainDb, 0.5);
  EXPECT_NEAR(v[rs + "/trim"].get<double>(),
              lr["level_db"].get<double>() - rr["level_db"].get<double>(), 1e-6);
  EXPECT_NEAR(v[ls + "/delay"].get<double>(), 0.0, 1e-9);
  EXPECT_NEAR(v[rs + "/delay"].get<double>(), kLeftDelayMs - kRightDelayMs, 1000.0 / kRate);
  for (std::size_t b = 0; b < 4; ++b) {
    const std::string eq = ls + "/eq/" + std::to_string(b + 1);
    if (b < lr["correction"].size()) {
      EXPECT_NEAR(v[eq + "/gain"].get<double>(), lr["correction"][b]["gain"].get<double>(), 1e-6);
      EXPECT_NEAR(v[eq + "/freq"].get<double>(), lr["correction"][b]["freq"].get<double>(), 1e-6);
      EXPECT_NEAR(v[eq + "/q"].get<double>(), lr["correction"][b]["q"].get<double>(), 1e-6);
    } else {
      EXPECT_EQ(v[eq + "/gain"].get<double>(), 0.0) << eq;
    }
  }

  const auto listed = http_call(port_, "GET", "/api/calibration", kToken);
  ASSERT_EQ(listed.status, 200) << listed.body;
  const json c = json::parse(listed.body);
  EXPECT_EQ(c["microphone"], "room:mic");
  ASSERT_EQ(c["speakers"].size(), 2u);  // the failed measurement was not stored
  EXPECT_EQ(c["speakers"][0]["speaker"], "left");
  EXPECT_EQ(c["speakers"][1]["speaker"], "right");
  EXPECT_GT(c["speakers"][1]["measured_unix_ms"].get<std::int64_t>(),
            c["speakers"][0]["measured_unix_ms"].get<std::int64_t>());
}

TEST_F(CalibrateDaemonTest, RefusesBadRequestsAndOthersThanTheEngineer) {
  EXPECT_EQ(measure("left", "not-a-token").status, 401);
  EXPECT_EQ(http_call(port_, "GET", "/api/calibration", "not-a-token").status, 401);
  const auto centre = measure("centre");
  EXPECT_EQ(centre.status, 400);
  EXPECT_NE(centre.body.find("speaker: left or right"), std::string::npos) << centre.body;
  const auto set = http_call(port_, "POST", "/api/calibration/measure", kToken,
                             json{{"set", "studio"}, {"speaker", "left"}}.dump());
  EXPECT_EQ(set.status, 400);
  const auto level = http_call(port_, "POST", "/api/calibration/measure", kToken,
                               json{{"speaker", "left"}, {"level_dbfs", 0}}.dump());
  EXPECT_EQ(level.status, 400);
  const auto invite = http_call(port_, "POST", "/api/sessions", kToken, json{{"title", "S"}}.dump());
  ASSERT_EQ(invite.status, 201) << invite.body;
  const auto client = http_call(
      port_, "POST",
      "/api/sessions/" + std::to_string(json::parse(invite.body)["id"].get<int>()) + "/invites",
      kToken, json{{"name", "Mara"}}.dump());
  ASSERT_EQ(client.status, 201) << client.body;
  const std::string client_token = json::parse(client.body)["token"];
  EXPECT_EQ(measure("left", client_token).status, 403);
  EXPECT_EQ(http_call(port_, "GET", "/api/calibration", client_token).status, 403);
  EXPECT_TRUE(json::parse(http_call(port_, "GET", "/api/calibration", kToken).body)["speakers"]
                  .empty());
}

}  // namespace
}  // namespace lacquer::test

namespace lacquer::test {
namespace {

TEST_F(CalibrateDaemonTest, MeasuresFromOscAndTheWebSocketForTheEngineerOnly) {
  // A surface subscribed for replies: oscdump listens on its port.
  const std::uint16_t surface = free_port();
  ChildProcess dump({"oscdump", "-L", std::to_string(surface)});
  std::this_thread::sleep_for(300ms);
  oscsend(osc_port_, "/lacquer/subscribe fi 20 " + std::to_string(surface));
  ASSERT_FALSE(wait_for_line(dump, "/lacquer/subscribed", 5s).empty()) << dump.stdout_text();

  oscsend(osc_port_, "/calibration/measure s main/centre");
  const auto unknown = wait_for_line(dump, "no speaker 'main/centre'", 5s);
  EXPECT_NE(unknown.find("/lacquer/error"), std::string::npos) << dump.stdout_text();

  oscsend(osc_port_, "/calibration/measure s main/left");
  EXPECT_FALSE(wait_for_line(dump, "/calibration/status s \"measuring main/left\"", 5s).empty())
      << dump.stdout_text();
  // One at a time.
  oscsend(osc_port_, "/calibration/measure s main/right");
  EXPECT_FALSE(wait_for_line(dump, "a measurement is running", 5s).empty()) << dump.stdout_text();
  EXPECT_FALSE(wait_for_line(dump, "/calibration/status s \"measured main/left\"", 40s).empty())
      << dump.stdout_text() << daemon_->stderr_text();
  json listed = calibrations();
  ASSERT_EQ(listed["speakers"].size(), 1u);
  EXPECT_EQ(listed["speakers"][0]["speaker"], "left");
  EXPECT_EQ(listed["speakers"][0]["kind"], "measurement");
  EXPECT_NEAR(listed["speakers"][0]["result"]["delay_samples"].get<long>(),
              std::lround(kLeftDelayMs * 48.0), 1);
  // Its correction is on the monitor path.
  const json cut = listed["speakers"][0]["result"]["correction"][0];
  EXPECT_NEAR(state()["/monitor/speakers/main/left/eq/1/gain"].get<double>(),
              cut["gain"].get<double>(), 1e-6);

  // Over the WebSocket: a client may neither start one nor hear of it.
  WsClient guest(port_);
  ASSERT_EQ(guest.call({{"op", "auth"}, {"token", client_token()}}).value("role", ""), "client");
  const json refused = guest.call({{"op", "set"}, {"path", "/calibration/measure"}, {"value", "main/left"}});
  EXPECT_EQ(refused.value("op", ""), "error") << refused;
  EXPECT_NE(refused.dump().find("the client role may not change /calibration/measure"), std::string::npos)
      << refused;

  WsClient engineer(port_);
  ASSERT_EQ(engineer.call({{"op", "auth"}, {"token", kToken}}).value("role", ""), "engineer");
  ASSERT_EQ(engineer.call({{"op", "subscribe"}, {"topics", {"params"}}}).value("ok", false), true);
  EXPECT_EQ(engineer.call({{"op", "get"}, {"path", "/calibration/status"}})["value"], "measured main/left");
  // The right speaker is not patched: the failure reaches the subscribers with its reason.
  // The set's reply and the status it pushes may come in either order.
  const json first = engineer.call({{"op", "set"}, {"path", "/calibration/measure"}, {"value", "main/right"}});
  const json reply = first.value("op", "") == "set"
                         ? first
                         : read_until(engineer, [](const json& m) { return m.value("op", "") == "set"; });
  ASSERT_TRUE(reply.value("ok", false)) << reply;
  const json failed = read_until(engineer, [](const json& m) { return status_is(m, "failed"); });
  EXPECT_NE(failed["value"].get<std::string>().find("failed main/right: room:mic: no response above the noise floor"),
            std::string::npos)
      << failed;
  EXPECT_EQ(calibrations()["speakers"].size(), 1u);  // nothing stored for it
}

TEST_F(CalibrateDaemonTest, VerifiesTheCorrectionByMeasuringAgainThroughIt) {
  const auto before = measure("left");
  ASSERT_EQ(before.status, 200) << before.body << daemon_->stderr_text();
  const json b = json::parse(before.body)["calibration"]["result"];
  json applied = state();
  applied.erase("/calibration/status");

  const auto after = measure("left", kToken, {{"verify", true}});
  ASSERT_EQ(after.status, 200) << after.body << daemon_->stderr_text();
  const json a = json::parse(after.body);
  EXPECT_EQ(a["calibration"]["kind"], "verification");
  EXPECT_TRUE(a["applied"].empty());
  const json& ar = a["calibration"]["result"];
  EXPECT_EQ(ar["through_correction"], b["correction"]);

  // Before: the mode stands out; after, measured through the correction, flat around it.
  double peak_before = -100.0;
  for (std::size_t i = 0; i < b["response"]["freq_hz"].size(); ++i) {
    const double f = b["response"]["freq_hz"][i];
    if (f >= 40.0 && f <= 300.0) peak_before = std::max(peak_before, b["response"]["level_db"][i].get<double>());
  }
  EXPECT_GT(peak_before - b["level_db"].get<double>(), 6.0);
  int checked = 0;
  for (std::size_t i = 0; i < ar["response"]["freq_hz"].size(); ++i) {
    const double f = ar["response"]["freq_hz"][i];
    if (f < 40.0 || f > 300.0) continue;
    EXPECT_NEAR(ar["response"]["level_db"][i].get<double>(), ar["level_db"].get<double>(), 2.0)
        << "at " << f << " Hz";
    ++checked;
  }
  EXPECT_GT(checked, 40);
  EXPECT_NEAR(ar["delay_samples"].get<long>(), b["delay_samples"].get<long>(), 1);

  // Nothing changed on the monitor path, and the listing shows both, the verification as
  // the measurement's "after".
  json now = state();
  EXPECT_EQ(now["/calibration/status"], "verified main/left");
  now.erase("/calibration/status");
  EXPECT_EQ(now, applied);
  const json listed = calibrations();
  ASSERT_EQ(listed["speakers"].size(), 1u);
  EXPECT_EQ(listed["speakers"][0]["id"], json::parse(before.body)["calibration"]["id"]);
  EXPECT_EQ(listed["speakers"][0]["after"]["id"], a["calibration"]["id"]);
  // A new measurement leaves no "after" until it is verified again.
  ASSERT_EQ(measure("left").status, 200);
  EXPECT_TRUE(calibrations()["speakers"][0]["after"].is_null());
}

TEST_F(CalibrateDaemonTest, AJackRestartMidSweepFailsCleanlyAndTheNextMeasurementWorks) {
  HttpResult interrupted;
  std::thread request([&] {
    interrupted = http_call(port_, "POST", "/api/calibration/measure", kToken,
                            json{{"set", "main"}, {"speaker", "left"}, {"duration_s", 10}}.dump(), 40000);
  });
  std::this_thread::sleep_for(2500ms);
  jack_client_close(probe_);
  probe_ = nullptr;
  jack_->kill_hard();
  request.join();
  EXPECT_EQ(interrupted.status, 400) << interrupted.body;
  EXPECT_NE(interrupted.body.find("the JACK server went away during the measurement"), std::string::npos)
      << interrupted.body;
  ASSERT_TRUE(daemon_->running()) << daemon_->stderr_text();
  EXPECT_TRUE(calibrations()["speakers"].empty());
  // Without a server there is nothing to measure with.
  const auto no_jack = measure("left");
  EXPECT_EQ(no_jack.status, 503) << no_jack.body;
  EXPECT_NE(no_jack.body.find("not connected to JACK"), std::string::npos) << no_jack.body;

  // The server and the room come back; the daemon rejoins and restores its connections.
  room_->wait(5000);
  ASSERT_TRUE(jack_->start());
  room_ = std::make_unique<ChildProcess>(std::vector<std::string>{
      ROOM_SIM_BINARY, "--server", jack_->name(), "--delay-ms", std::to_string(kLeftDelayMs),
      "--gain-db", std::to_string(kLeftGainDb), "--mode", "63,8,4", "--delay2-ms",
      std::to_string(kRightDelayMs), "--gain2-db", std::to_string(kRightGainDb)});
  open_probe(std::chrono::steady_clock::now() + 20s);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (jack_port_connected_to(jack_port_by_name(probe_, "lacquer:mon_1"), "room:speaker") == 0) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << daemon_->stderr_text();
    std::this_thread::sleep_for(50ms);
  }
  const auto again = measure("left");
  ASSERT_EQ(again.status, 200) << again.body << daemon_->stderr_text();
  EXPECT_NEAR(json::parse(again.body)["calibration"]["result"]["delay_samples"].get<long>(),
              std::lround(kLeftDelayMs * 48.0), 1);
  EXPECT_EQ(calibrations()["speakers"].size(), 1u);
}

}  // namespace
}  // namespace lacquer::test
