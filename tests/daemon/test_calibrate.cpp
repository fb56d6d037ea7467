// `lacquer calibrate` against a simulated room (room_sim, a JACK client of its own) on a real
// jackd with the dummy backend: the time of flight to the sample, the level, the response
// against the RBJ bell's analytic one, a cut proposed on the room mode that flattens it once
// applied, the 2nd harmonic when the speaker distorts, and clear errors for bad input. Offline,
// without JACK: the deconvolution of a known path and the correction's rules.
#include <gtest/gtest.h>
#include <jack/jack.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <fftw3.h>
#include <nlohmann/json.hpp>

#include "calibrate/correction.hpp"
#include "calibrate/measurement.hpp"
#include "calibrate/sweep.hpp"
#include "lacquer/session/store.hpp"
#include "process_helpers.hpp"
#include "rbj_bell.hpp"

namespace lacquer::test {
namespace {

using namespace std::chrono_literals;

constexpr int kRate = 48000;
constexpr double kDelayMs = 3.2;
constexpr double kGainDb = -9.0;
constexpr double kModeHz = 63.0;
constexpr double kModeDb = 8.0;
constexpr double kModeQ = 4.0;
constexpr double kLevelDbfs = -20.0;

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
  nlohmann::json json;
};

class CalibrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Long periods: fewer cycles to miss on a loaded machine, and an xrun costs a measurement.
    server_ = std::make_unique<JackDummyServer>(unique_name("cal"), kRate, 1024);
    ASSERT_TRUE(server_->start());
  }

  // Starts room_sim with `args` and waits until its microphone port exists.
  void start_room(std::vector<std::string> args) {
    args.insert(args.begin(), {ROOM_SIM_BINARY, "--server", server_->name()});
    room_ = std::make_unique<ChildProcess>(args);
    jack_client_t* probe = jack_client_open(
        "cal_probe", static_cast<jack_options_t>(JackNoStartServer | JackServerName), nullptr,
        server_->name().c_str());
    ASSERT_NE(probe, nullptr);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (jack_port_by_name(probe, "room:mic") == nullptr) {
      if (std::chrono::steady_clock::now() > deadline || !room_->running()) break;
      std::this_thread::sleep_for(20ms);
    }
    const bool up = jack_port_by_name(probe, "room:mic") != nullptr;
    jack_client_close(probe);
    ASSERT_TRUE(up) << room_->stderr_text();
  }

  void start_standard_room(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--delay-ms", std::to_string(kDelayMs), "--gain-db",
                                     std::to_string(kGainDb), "--mode",
                                     std::to_string(kModeHz) + "," + std::to_string(kModeDb) + "," +
                                         std::to_string(kModeQ)};
    args.insert(args.end(), extra.begin(), extra.end());
    start_room(args);
  }

  Outcome calibrate(std::vector<std::string> args, bool json = true) {
    args.insert(args.begin(), {LACQUER_BINARY, "calibrate", "--jack-server", server_->name(),
                               "--duration", "3"});
    if (json) args.push_back("--json");
    ChildProcess p(args);
    Outcome r;
    r.code = p.wait(60000);
    r.out = p.stdout_text();
    r.err = p.stderr_text();
    if (r.code == 0 && json) r.json = nlohmann::json::parse(r.out);
    return r;
  }

  std::unique_ptr<JackDummyServer> server_;
  std::unique_ptr<ChildProcess> room_;
};

// The room's power gain, averaged over [lo, hi] Hz in linear frequency like FFT bins are.
double room_db(double lo, double hi, const std::vector<Bell>& bells) {
  constexpr int kPoints = 400;
  double sum = 0.0;
  for (int i = 0; i < kPoints; ++i) {
    const double f = lo + (hi - lo) * (i + 0.5) / kPoints;
    double g = std::pow(10.0, kGainDb / 20.0);
    for (const auto& b : bells) g *= b.magnitude(kRate, f);
    sum += g * g;
  }
  return 10.0 * std::log10(sum / kPoints);
}

std::vector<Bell> standard_room() { return {Bell(kRate, kModeHz, kModeDb, kModeQ)}; }

TEST_F(CalibrateTest, MeasuresTheRoomAndCutsItsMode) {
  start_standard_room();
  const Outcome r = calibrate({"--output", "room:speaker", "--input", "room:mic", "--speaker", "left",
                           "--level", std::to_string(kLevelDbfs)});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto& j = r.json;
  EXPECT_EQ(j["speaker"], "left");
  EXPECT_EQ(j["sample_rate"], kRate);

  const long delay = std::lround(kDelayMs * 1e-3 * kRate);  // room_sim's, to the sample
  EXPECT_NEAR(j["delay_samples"].get<long>(), delay, 1);
  EXPECT_NEAR(j["delay_ms"].get<double>(), 1000.0 * delay / kRate, 1000.0 / kRate);
  EXPECT_NEAR(j["level_db"].get<double>(), room_db(500, 2000, standard_room()), 0.5);

  const auto& freq = j["response"]["freq_hz"];
  const auto& level = j["response"]["level_db"];
  ASSERT_EQ(freq.size(), level.size());
  int checked = 0;
  for (std::size_t i = 0; i < freq.size(); ++i) {
    const double f = freq[i];
    if (f < 40.0 || f > 10000.0) continue;
    const double half = std::exp2(1.0 / 12.0);  // 1/6 octave
    EXPECT_NEAR(level[i].get<double>(), room_db(f / half, f * half, standard_room()), 1.0)
        << "at " << f << " Hz";
    ++checked;
  }
  EXPECT_GT(checked, 150);

  // room_sim's noise is -90 dBFS RMS.
  EXPECT_NEAR(j["noise_floor"]["rms_dbfs"].get<double>(), -90.0, 1.0);
  EXPECT_GT(j["snr_db"].get<double>(), 50.0);

  // No distortion in this room: the harmonics are at the noise's level.
  for (const auto& band : j["distortion"]["bands"]) {
    if (band["freq_hz"] == 1000.0) {
      EXPECT_LT(band["thd_percent"].get<double>(), 0.1);
    }
  }

  ASSERT_FALSE(j["correction"].empty());
  const auto& cut = j["correction"][0];
  EXPECT_EQ(cut["type"], "bell");
  EXPECT_LT(std::abs(std::log2(cut["freq"].get<double>() / kModeHz)), 1.0 / 6.0) << cut.dump();
  EXPECT_NEAR(cut["gain"].get<double>(), -kModeDb, 1.0) << cut.dump();
  for (const auto& band : j["correction"]) {
    EXPECT_LE(band["freq"].get<double>(), 300.0);
    EXPECT_LE(band["gain"].get<double>(), 3.0);
  }

  // The correction, applied before the room (as the monitor path would), flattens it.
  room_->signal(SIGTERM);
  room_->wait(5000);
  std::vector<std::string> eq;
  for (const auto& band : j["correction"]) {
    eq.push_back("--eq");
    eq.push_back(std::to_string(band["freq"].get<double>()) + "," +
                 std::to_string(band["gain"].get<double>()) + "," +
                 std::to_string(band["q"].get<double>()));
  }
  start_standard_room(eq);
  const Outcome corrected = calibrate({"--output", "room:speaker", "--input", "room:mic"});
  ASSERT_EQ(corrected.code, 0) << corrected.err;
  const auto& c = corrected.json;
  for (std::size_t i = 0; i < c["response"]["freq_hz"].size(); ++i) {
    const double f = c["response"]["freq_hz"][i];
    if (f < 40.0 || f > 300.0) continue;
    EXPECT_NEAR(c["response"]["level_db"][i].get<double>(), kGainDb, 2.0) << "at " << f << " Hz";
  }
}

TEST_F(CalibrateTest, FindsTheSecondHarmonic) {
  // y = x + c·x² on a sine of amplitude A has its 2nd harmonic at c·A/2 of the fundamental.
  const double amplitude = std::pow(10.0, kLevelDbfs / 20.0);
  const double h2_db = -30.0;
  const double c = 2.0 * std::pow(10.0, h2_db / 20.0) / amplitude;
  start_standard_room({"--h2", std::to_string(c)});
  const Outcome r = calibrate({"--output", "room:speaker", "--input", "room:mic"});
  ASSERT_EQ(r.code, 0) << r.err;
  int checked = 0;
  for (const auto& band : r.json["distortion"]["bands"]) {
    const double f = band["freq_hz"];
    if (f < 250.0 || f > 2000.0) continue;  // where the room is flat at f and 2f
    EXPECT_NEAR(band["harmonics_db"][0].get<double>(), h2_db, 1.5) << "at " << f << " Hz";
    EXPECT_LT(band["harmonics_db"][1].get<double>(), h2_db - 20.0) << "at " << f << " Hz";
    EXPECT_NEAR(band["thd_percent"].get<double>(), 100.0 * std::pow(10.0, h2_db / 20.0), 0.6);
    ++checked;
  }
  EXPECT_EQ(checked, 4);
  // The distortion does not disturb the linear measurement.
  EXPECT_NEAR(r.json["level_db"].get<double>(), kGainDb, 0.5);
}

TEST_F(CalibrateTest, RefusesBadInputClearly) {
  start_standard_room();

  Outcome r = calibrate({"--output", "room:nope", "--input", "room:mic"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no JACK port 'room:nope'"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  r = calibrate({"--output", "room:mic", "--input", "room:mic"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("'room:mic' sends audio"), std::string::npos) << r.err;

  // The microphone that is not plugged in: noise only.
  r = calibrate({"--output", "room:speaker", "--input", "room:dead"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no response above the noise floor"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  // -1 dBFS through a +8 dB mode at -9 dB reaches past full scale at the converter.
  room_->signal(SIGTERM);
  room_->wait(5000);
  start_room({"--mode", "63,8,4"});
  r = calibrate({"--output", "room:speaker", "--input", "room:mic", "--level", "-1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("the input clipped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lower --level"), std::string::npos) << r.err;

  ChildProcess nowhere({LACQUER_BINARY, "calibrate", "--jack-server", unique_name("none"),
                        "--output", "a:b", "--input", "c:d"});
  EXPECT_EQ(nowhere.wait(20000), 1);
  EXPECT_NE(nowhere.stderr_text().find("cannot connect to JACK server"), std::string::npos)
      << nowhere.stderr_text();
}

TEST_F(CalibrateTest, StoresTheResultPerSpeakerOnlyWhenMeasured) {
  start_standard_room();
  const std::string db = temp_dir() + "/calibrations.db";
  Outcome r = calibrate({"--output", "room:speaker", "--input", "room:mic", "--store", "--set",
                         "alt", "--speaker", "right", "--db", db});
  ASSERT_EQ(r.code, 0) << r.err;
  // A measurement that fails stores nothing, and --store needs a speaker of the monitor path.
  Outcome dead = calibrate({"--output", "room:speaker", "--input", "room:dead", "--store",
                            "--speaker", "left", "--db", db});
  EXPECT_EQ(dead.code, 1);
  Outcome unnamed = calibrate({"--output", "room:speaker", "--input", "room:mic", "--store",
                               "--speaker", "centre", "--db", db});
  EXPECT_EQ(unnamed.code, 1);
  EXPECT_NE(unnamed.err.find("--store needs --speaker left or --speaker right"), std::string::npos)
      << unnamed.err;

  auto store = session::Store::open(db);
  auto stored = store->latest_calibrations();
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->size(), 1u);
  const auto& c = stored->front();
  EXPECT_EQ(c.speaker_set, "alt");
  EXPECT_EQ(c.speaker, "right");
  EXPECT_EQ(c.result, r.json);
  EXPECT_NEAR(c.created_unix_ms, session::now_unix_ms(), 60000);
}

TEST_F(CalibrateTest, ReportsAServerLostDuringTheSweep) {
  start_standard_room();
  ChildProcess p({LACQUER_BINARY, "calibrate", "--jack-server", server_->name(), "--duration",
                  "10", "--output", "room:speaker", "--input", "room:mic", "--json"});
  std::this_thread::sleep_for(2500ms);
  ASSERT_TRUE(p.running()) << p.stderr_text();
  server_->kill_hard();
  EXPECT_EQ(p.wait(20000), 1);
  EXPECT_NE(p.stderr_text().find("the JACK server went away"), std::string::npos)
      << p.stderr_text();
  EXPECT_TRUE(p.stdout_text().empty());
  // jackd frees a killed server's slot in its registry (eight in all) only when a server of
  // the same name starts again.
  EXPECT_TRUE(server_->start());
}

namespace cal = daemon::calibrate;

// The sweep through a path of gain `gain`, `delay` samples and y = x + c·x² before it, with a
// tail; the noise a fixed -100 dBFS pattern.
cal::Capture offline_capture(const cal::SweepSpec& spec, const std::vector<float>& sweep,
                             double gain, std::size_t delay, double c) {
  cal::Capture capture;
  capture.sample_rate = spec.sample_rate;
  capture.recording.assign(sweep.size() + static_cast<std::size_t>(spec.sample_rate), 0.0f);
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    const double x = sweep[i];
    capture.recording[i + delay] = static_cast<float>(gain * (x + c * x * x));
  }
  capture.noise.resize(static_cast<std::size_t>(spec.sample_rate / 2));
  for (std::size_t i = 0; i < capture.noise.size(); ++i) {
    capture.noise[i] = (i % 2 == 0 ? 1e-5f : -1e-5f);
  }
  return capture;
}

TEST(CalibrateOffline, RecoversAKnownPathExactly) {
  cal::SweepSpec spec;
  spec.duration_s = 3.0;
  const auto sweep = cal::exponential_sweep(spec);
  const auto result = cal::analyse(spec, sweep, offline_capture(spec, sweep, 0.5, 200, 0.0));
  ASSERT_TRUE(result.measurement) << result.error->message;
  const auto& m = *result.measurement;
  EXPECT_EQ(m.delay_samples, 200);
  const double gain_db = 20.0 * std::log10(0.5);
  EXPECT_NEAR(m.level_db, gain_db, 0.1);
  for (std::size_t i = 0; i < m.response.freq_hz.size(); ++i) {
    const double f = m.response.freq_hz[i];
    if (f < 25.0 || f > 18000.0) continue;
    // Near the sweep's start the window cuts into the band limit's spread: a few tenths of a dB.
    EXPECT_NEAR(m.response.level_db[i], gain_db, f < 50.0 ? 0.3 : 0.1) << "at " << f << " Hz";
  }
  EXPECT_NEAR(*m.noise_rms_dbfs, -100.0, 0.01);
}

TEST(CalibrateOffline, MeasuresTheSecondHarmonic) {
  cal::SweepSpec spec;
  spec.duration_s = 3.0;
  const auto sweep = cal::exponential_sweep(spec);
  const double amplitude = std::pow(10.0, spec.level_dbfs / 20.0);
  const double c = 2.0 * 0.01 / amplitude;  // the 2nd harmonic at -40 dB
  const auto capture = offline_capture(spec, sweep, 1.0, 100, c);
  const auto result = cal::analyse(spec, sweep, capture);
  ASSERT_TRUE(result.measurement);
  int checked = 0;
  for (const auto& band : result.measurement->distortion) {
    if (band.freq_hz < 250.0 || !band.harmonic_db[0]) continue;
    EXPECT_NEAR(*band.harmonic_db[0], -40.0, 0.5) << "at " << band.freq_hz << " Hz";
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

// |h + i·Hilbert(h)| over h[from .. from + len) (circular indices): the envelope, whose peak
// is the impulse's place whatever its phase (an even harmonic's response is a cosine-phase one).
std::vector<double> envelope(const std::vector<double>& h, long from, long len) {
  const long n = static_cast<long>(h.size());
  std::vector<fftw_complex> buf(static_cast<std::size_t>(len));
  for (long i = 0; i < len; ++i) {
    buf[i][0] = h[static_cast<std::size_t>(((from + i) % n + n) % n)];
    buf[i][1] = 0.0;
  }
  fftw_plan fwd = fftw_plan_dft_1d(static_cast<int>(len), buf.data(), buf.data(), FFTW_FORWARD, FFTW_ESTIMATE);
  fftw_plan inv = fftw_plan_dft_1d(static_cast<int>(len), buf.data(), buf.data(), FFTW_BACKWARD, FFTW_ESTIMATE);
  fftw_execute(fwd);
  for (long b = 1; b < len; ++b) {
    const double scale = b < len / 2 ? 2.0 : (b == len / 2 ? 1.0 : 0.0);
    buf[b][0] *= scale;
    buf[b][1] *= scale;
  }
  fftw_execute(inv);
  fftw_destroy_plan(fwd);
  fftw_destroy_plan(inv);
  std::vector<double> e(static_cast<std::size_t>(len));
  for (long i = 0; i < len; ++i) e[i] = std::hypot(buf[i][0], buf[i][1]) / static_cast<double>(len);
  return e;
}

TEST(CalibrateOffline, PlacesTheHarmonicsAtTheirLags) {
  // y = x + a·x² + b·x³ on x = A·sin φ: a·A²/2·(1 − cos 2φ) + b·A³/4·(3 sin φ − sin 3φ), so the
  // fundamental is A + 3bA³/4, the 2nd harmonic a·A²/2 and the 3rd b·A³/4. The sweep stops at
  // 7 kHz, so 3·f2 stays below Nyquist and nothing aliases (as a converter's filter ensures).
  cal::SweepSpec spec;
  spec.duration_s = 3.0;
  spec.f2_hz = 7000.0;
  const auto sweep = cal::exponential_sweep(spec);
  const double amp = std::pow(10.0, spec.level_dbfs / 20.0);
  const double a = 2.0 * 0.01 / amp;          // 2nd harmonic near -40 dB
  const double b = 4.0 * 0.00316 / (amp * amp);  // 3rd near -50 dB
  const double fundamental = amp + 0.75 * b * amp * amp * amp;
  const double h2_db = 20.0 * std::log10(0.5 * a * amp * amp / fundamental);
  const double h3_db = 20.0 * std::log10(0.25 * b * amp * amp * amp / fundamental);

  constexpr long kDelay = 150;
  cal::Capture capture;
  capture.sample_rate = spec.sample_rate;
  capture.recording.assign(sweep.size() + static_cast<std::size_t>(spec.sample_rate), 0.0f);
  for (std::size_t i = 0; i < sweep.size(); ++i) {
    const double x = sweep[i];
    capture.recording[i + kDelay] = static_cast<float>(x + a * x * x + b * x * x * x);
  }
  capture.noise.assign(static_cast<std::size_t>(spec.sample_rate / 2), 1e-6f);

  // In the deconvolved signal each harmonic's envelope peaks L·ln k before the linear impulse
  // (L = T / ln(f2/f1)), inside the window the analysis reads it from; nothing else in that
  // window (out-of-band division, aliasing) comes near it.
  const auto h = cal::deconvolve(spec, sweep, capture.recording);
  const double rate = spec.sample_rate;
  const double l = spec.duration_s / std::log(spec.f2_hz / spec.f1_hz);
  for (int k = 2; k <= 3; ++k) {
    const auto w = cal::harmonic_window(spec, kDelay, k, 50, static_cast<long>(0.5 * rate));
    const long analytic = kDelay - std::lround(l * std::log(k) * rate);
    EXPECT_EQ(w.at, analytic);
    const auto env = envelope(h, w.first, w.last - w.first + 1);
    const auto peak = std::max_element(env.begin(), env.end()) - env.begin();
    EXPECT_NEAR(w.first + peak, analytic, 2) << "harmonic " << k;
    // The window's rise is over before the impulse: its envelope 40 dB down by then.
    EXPECT_LT(env[static_cast<std::size_t>(w.rise)], 0.01 * env[static_cast<std::size_t>(peak)])
        << "harmonic " << k;
  }

  const auto result = cal::analyse(spec, sweep, capture);
  ASSERT_TRUE(result.measurement) << result.error->message;
  int second = 0;
  int third = 0;
  for (const auto& band : result.measurement->distortion) {
    if (band.harmonic_db[0]) {
      EXPECT_NEAR(*band.harmonic_db[0], h2_db, 1.0) << "2nd at " << band.freq_hz << " Hz";
      ++second;
    }
    if (band.harmonic_db[1]) {
      EXPECT_NEAR(*band.harmonic_db[1], h3_db, 1.0) << "3rd at " << band.freq_hz << " Hz";
      ++third;
    }
    // No 4th or 5th harmonic in a cubic.
    if (band.harmonic_db[2]) {
      EXPECT_LT(*band.harmonic_db[2], h3_db - 20.0) << band.freq_hz;
    }
  }
  // Bands whose harmonic lies within the sweep (k·f·√2 <= 7 kHz): 62.5 Hz to 2 kHz, to 1 kHz.
  EXPECT_EQ(second, 6);
  EXPECT_EQ(third, 5);
}

// A response on the 1/48-octave grid the correction works on: `bells` on a flat 0 dB.
cal::Response grid_response(const std::vector<Bell>& bells) {
  cal::Response r;
  for (int n = -270; n <= 48; ++n) {
    const double f = 1000.0 * std::exp2(n / 48.0);
    double g = 1.0;
    for (const auto& b : bells) g *= b.magnitude(kRate, f);
    r.freq_hz.push_back(f);
    r.level_db.push_back(20.0 * std::log10(g));
  }
  return r;
}

TEST(CalibrateOffline, CorrectionCutsModesAndNeverBoostsANull) {
  const auto response = grid_response({Bell(kRate, 100.0, 6.0, 3.0), Bell(kRate, 250.0, -15.0, 8.0),
                                       Bell(kRate, 32.0, -2.5, 1.5)});
  const auto bands = cal::design_correction(response, 0.0, kRate, {});
  ASSERT_FALSE(bands.empty());
  EXPECT_LT(std::abs(std::log2(bands[0].freq_hz / 100.0)), 1.0 / 12.0);
  EXPECT_NEAR(bands[0].gain_db, -6.0, 0.5);
  EXPECT_NEAR(bands[0].q, 3.0, 0.75);  // the null's shoulder, an octave and a third up, pulls it
  bool boosted_the_dip = false;
  for (const auto& b : bands) {
    EXPECT_LE(b.gain_db, 3.0);
    // The null at 250 Hz: never a boost within a quarter octave of it.
    if (b.gain_db > 0.0) {
      EXPECT_GT(std::abs(std::log2(b.freq_hz / 250.0)), 0.25) << b.freq_hz;
    }
    if (b.gain_db > 1.0 && std::abs(std::log2(b.freq_hz / 32.0)) < 0.5) boosted_the_dip = true;
  }
  EXPECT_TRUE(boosted_the_dip);  // the shallow, broad dip is filled

  // Nothing above the set frequency, however large.
  const auto high = cal::design_correction(grid_response({Bell(kRate, 500.0, 8.0, 4.0)}), 0.0,
                                           kRate, {});
  EXPECT_TRUE(high.empty());
}

}  // namespace
}  // namespace lacquer::test
