// The calibration through a running daemon: `lacquer serve` (microphone port from its
// configuration) plays the sweep on the monitor output of the speaker asked for, room_sim
// carries both speakers to one microphone (left: 3.2 ms, -9 dB and a +8 dB mode at 63 Hz;
// right: 2.0 ms, -6 dB), and the daemon stores each result and sets the monitor path: the
// right speaker turned down to the left's level, delayed to arrive with it, the left's
// correction bells in its EQ. A speaker that is not patched fails clearly and stores nothing.
#include <gtest/gtest.h>
#include <jack/jack.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "process_helpers.hpp"
#include "rbj_bell.hpp"

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
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{LACQUER_BINARY, "serve", "--config", dir_ + "/lacquer.toml",
                                 "--jack-server", jack_->name(), "--http",
                                 "127.0.0.1:" + std::to_string(port_), "--osc",
                                 std::to_string(free_port()), "--db", dir_ + "/lacquer.db"},
        std::vector<std::string>{"LACQUER_TOKEN=" + kToken});
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (http_get(port_, "/healthz", 500).status != 200) {
      ASSERT_TRUE(std::chrono::steady_clock::now() < deadline && daemon_->running())
          << daemon_->stderr_text();
      std::this_thread::sleep_for(50ms);
    }
    probe_ = jack_client_open("cald_probe",
                              static_cast<jack_options_t>(JackNoStartServer | JackServerName),
                              nullptr, jack_->name().c_str());
    ASSERT_NE(probe_, nullptr);
    while (jack_port_by_name(probe_, "room:speaker_2") == nullptr) {
      ASSERT_TRUE(std::chrono::steady_clock::now() < deadline && room_->running())
          << room_->stderr_text();
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(jack_connect(probe_, "lacquer:mon_1", "room:speaker"), 0);
  }

  void TearDown() override {
    if (probe_ != nullptr) jack_client_close(probe_);
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(10000), 0) << daemon_->stderr_text();
    room_->signal(SIGTERM);
    room_->wait(5000);
  }

  HttpResult measure(const std::string& speaker, const std::string& token = kToken) {
    return http_call(port_, "POST", "/api/calibration/measure", token,
                     json{{"set", "main"}, {"speaker", speaker}, {"duration_s", 3}}.dump(),
                     30000);
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
};

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
