// The renderer's passes, in process: a target search that keeps the signal in front of the
// limiter and runs the limiter alone after the first pass writes what the search re-running
// the whole chain from the file on every pass writes, byte for byte; and what it finds is a
// plain render at the drive it reports. A front kept by one render serves the renders of its
// chain alone. Errors of the reading thread reach the caller.
#include <gtest/gtest.h>

#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "lacquer/dsp/integrated_loudness.hpp"
#include "lacquer/dsp/targets.hpp"
#include "offline/drive_model.hpp"
#include "offline/offline_render.hpp"

namespace lacquer::daemon {
namespace {

namespace fs = std::filesystem;
constexpr double kPi = std::numbers::pi;

class RenderPasses : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lacquer_render_passes_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path at(const std::string& name) const { return dir_ / name; }

  // Hot drum-led stereo material at 48 kHz, its hits over full scale (a float file), so
  // that every target drives the limiter hard and takes more than one pass.
  void write_drums(const fs::path& path, double seconds, float poison_at_s = -1.0f,
                   double gain = 1.0) const {
    const int rate = 48000;
    const auto n = static_cast<std::size_t>(seconds * rate);
    std::vector<float> x(2 * n);
    std::mt19937 rng(3);
    std::normal_distribution<double> noise(0.0, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double t = static_cast<double>(i) / rate;
      const double in_beat = std::fmod(t, 0.5);
      const double kick = 1.4 * std::exp(-in_beat / 0.08) * std::sin(2.0 * kPi * 60.0 * in_beat);
      const double snare = std::fmod(t, 1.0) >= 0.5 ? 0.7 * std::exp(-in_beat / 0.05) * noise(rng) : 0.0;
      for (int c = 0; c < 2; ++c) {
        const double pad = 0.08 * std::sin(2.0 * kPi * (220.0 + 110.0 * c) * t) + 0.03 * noise(rng);
        x[2 * i + static_cast<std::size_t>(c)] = static_cast<float>(gain * (kick + snare + pad));
      }
    }
    if (poison_at_s >= 0.0f) {
      x[2 * static_cast<std::size_t>(poison_at_s * rate) + 1] = std::numeric_limits<float>::quiet_NaN();
    }
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
    sf_writef_float(f, x.data(), static_cast<sf_count_t>(n));
    sf_close(f);
  }

  static std::string bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
};

TEST_F(RenderPasses, HeldSearchWritesWhatFullPassesWrite) {
  write_drums(at("in.wav"), 12.0);
  for (const char* target : {"spotify", "cd"}) {  // cd: resampled, 16 bits, ceiling margin
    SCOPED_TRACE(target);
    RenderRequest req;
    req.input = at("in.wav");
    req.target = target;
    req.settings = {"/chain/multiband/2/threshold=-30", "/chain/comp/threshold=-20"};
    req.output = at("held.wav");
    const RenderResult held = render(req);
    req.output = at("full.wav");
    req.hold_bytes = 0;  // every pass from the file
    const RenderResult full = render(req);
    EXPECT_GE(held.passes, 2);
    EXPECT_EQ(held.passes, full.passes);
    EXPECT_EQ(held.drive_db, full.drive_db);
    EXPECT_EQ(held.integrated_lufs, full.integrated_lufs);
    EXPECT_EQ(held.true_peak_dbtp, full.true_peak_dbtp);
    EXPECT_EQ(held.input_warnings, full.input_warnings);
    EXPECT_FALSE(held.input_warnings.empty());  // the input check saw the first pass
    const std::string a = bytes(at("held.wav")), b = bytes(at("full.wav"));
    ASSERT_GT(a.size(), 12u * 44100u * 4u);
    EXPECT_TRUE(a == b) << "the held search wrote other samples";
  }
}

TEST_F(RenderPasses, TargetRenderIsAPlainRenderAtTheDriveFound) {
  write_drums(at("in.wav"), 8.0);
  RenderRequest req;
  req.input = at("in.wav");
  req.output = at("target.wav");
  req.target = "apple";  // -16 LUFS, -1 dBTP
  const RenderResult found = render(req);
  ASSERT_GE(found.passes, 2);
  ASSERT_LE(found.true_peak_dbtp, -1.0);
  ASSERT_LE(found.ceiling_dbtp, -1.0);

  char drive[64], ceiling[64];
  std::snprintf(drive, sizeof drive, "/chain/limiter/drive=%.17g", found.drive_db);
  std::snprintf(ceiling, sizeof ceiling, "/chain/limiter/ceiling=%.17g", found.ceiling_dbtp);
  RenderRequest plain;
  plain.input = at("in.wav");
  plain.output = at("plain.wav");
  plain.bits = "24";
  plain.settings = {ceiling, drive};
  const RenderResult once = render(plain);
  EXPECT_EQ(once.passes, 1);
  EXPECT_EQ(once.integrated_lufs, found.integrated_lufs);
  EXPECT_TRUE(bytes(at("plain.wav")) == bytes(at("target.wav")));
}

// A render keeps its front when asked; renders of other formats from it (a target with
// resampling and 16 bits, 24 bits without a target) do not read the file and write what
// renders from the file write, and a front of another chain in front of the limiter is not
// used.
TEST_F(RenderPasses, AKeptFrontServesTheRendersOfItsChain) {
  write_drums(at("in.wav"), 10.0);
  const std::vector<std::string> chain = {"/chain/multiband/2/threshold=-30",
                                          "/chain/comp/threshold=-20"};
  RenderRequest first;
  first.input = at("in.wav");
  first.output = at("first.flac");
  first.target = "spotify";
  first.settings = chain;
  first.keep_front = true;
  const RenderResult kept = render(first);
  ASSERT_TRUE(kept.front);
  // Every frame, the latency-flushing ones too, in doubles.
  EXPECT_GT(memory_bytes(*kept.front), 2 * sizeof(double) * 480000u);
  EXPECT_LT(memory_bytes(*kept.front), 2 * sizeof(double) * (480000u + 4096u));

  const auto both = [&](RenderRequest req, const std::string& name) {
    SCOPED_TRACE(name);
    req.input = at("in.wav");
    req.output = at(name + "-file.wav");
    const RenderResult from_file = render(req);
    // From the front, the file is not read again: it may be gone.
    fs::rename(at("in.wav"), at("away.wav"));
    req.output = at(name + "-front.wav");
    req.front = kept.front;
    const RenderResult from_front = render(req);
    fs::rename(at("away.wav"), at("in.wav"));
    EXPECT_EQ(from_front.passes, from_file.passes);
    EXPECT_EQ(from_front.integrated_lufs, from_file.integrated_lufs);
    EXPECT_EQ(from_front.input_warnings, from_file.input_warnings);
    EXPECT_FALSE(from_front.input_warnings.empty());  // the front's check, carried
    const std::string a = bytes(at(name + "-front.wav")), b = bytes(at(name + "-file.wav"));
    EXPECT_GT(a.size(), 10u * 44100u * 4u);
    EXPECT_TRUE(a == b) << "the render from the front wrote other samples";
  };
  RenderRequest cd;
  cd.target = "cd";
  cd.settings = chain;
  both(cd, "cd");
  RenderRequest hires;
  hires.bits = "24";
  hires.settings = chain;
  hires.settings.push_back("/chain/limiter/drive=4");  // behind the front: still served
  both(hires, "hires");

  // Another stereo width: the front is not this chain's and is ignored (from it, the render
  // would print the kept chain, as `same` does).
  RenderRequest other;
  other.bits = "24";
  other.input = at("in.wav");
  other.settings = chain;
  other.output = at("same.wav");
  render(other);
  other.settings.push_back("/chain/stereo/width=80");
  other.output = at("other-file.wav");
  render(other);
  other.output = at("other-front.wav");
  other.front = kept.front;
  render(other);
  EXPECT_TRUE(bytes(at("other-front.wav")) == bytes(at("other-file.wav")));
  EXPECT_FALSE(bytes(at("other-file.wav")) == bytes(at("same.wav")));
}

TEST_F(RenderPasses, ANonFiniteSampleStopsBothThreadsWithItsFrame) {
  write_drums(at("nan.wav"), 6.0, 5.0f);
  for (const char* target : {"", "spotify"}) {
    SCOPED_TRACE(target);
    RenderRequest req;
    req.input = at("nan.wav");
    req.output = at("out.wav");
    if (*target != '\0') req.target = target;
    try {
      render(req);
      ADD_FAILURE() << "rendered a NaN";
    } catch (const RenderError& e) {
      EXPECT_EQ(std::string(e.what()), "the input holds a non-finite sample at frame 240000");
    }
    EXPECT_FALSE(fs::exists(at("out.wav")));
  }
}

// The search's prediction of loudness against drive sets the drive of the second pass: on
// drum material from 20 dB under the target to hard into the limiter, every target is
// reached in at most three passes, and in two wherever the first pass already limits.
// (One dB per LU and secant steps took three to five passes on this material.)
TEST_F(RenderPasses, ATargetIsReachedInTwoOrThreePasses) {
  for (const double gain : {0.1, 0.35, 0.7}) {
    write_drums(at("in.wav"), 12.0, -1.0f, gain);
    for (const char* target : {"spotify", "apple", "amazon", "ebu-r128"}) {
      SCOPED_TRACE(std::string(target) + " at gain " + std::to_string(gain));
      RenderRequest req;
      req.input = at("in.wav");
      req.output = at("out.wav");
      req.target = target;
      const RenderResult r = render(req);
      const dsp::LoudnessTarget* t = dsp::find_target(target);
      EXPECT_NEAR(r.integrated_lufs, t->target_lufs, 0.2);
      EXPECT_LE(r.true_peak_dbtp, t->ceiling_dbtp);
      EXPECT_LE(r.passes, gain < 0.2 ? 3 : 2);
    }
  }
}

// A target the limiter's drive cannot reach fails with what was reached, the prediction
// having no answer.
TEST_F(RenderPasses, AnUnreachableTargetFailsClearly) {
  write_drums(at("in.wav"), 4.0, -1.0f, 0.001);
  RenderRequest req;
  req.input = at("in.wav");
  req.output = at("out.wav");
  req.target = "spotify";
  try {
    render(req);
    ADD_FAILURE() << "rendered";
  } catch (const RenderError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot reach -14.0 LUFS"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("limiter drive limit of +24 dB"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(at("out.wav")));
}

std::vector<double> planar_sine(double fs, double seconds, double peak, double hz) {
  const auto n = static_cast<std::size_t>(fs * seconds);
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = peak * std::sin(2.0 * kPi * hz * static_cast<double>(i) / fs);
  return x;
}

// The prediction against BS.1770 and the limiter's job: below the ceiling it is the input's
// integrated loudness plus the drive and the output gain; far above it, a steady sine is held
// with its peaks at the ceiling, whatever the drive.
TEST(DriveLoudnessModel, IsTheLoudnessBelowTheCeilingAndHoldsASineAtIt) {
  for (const double fs : {44100.0, 48000.0, 96000.0}) {
    SCOPED_TRACE(fs);
    const std::vector<double> x = planar_sine(fs, 10.0, 0.1, 997.0);  // -20 dBFS peak
    DriveLoudnessModel model(fs);
    dsp::IntegratedLoudness meter(fs);
    std::vector<double> interleaved(2 * x.size());
    for (std::size_t i = 0; i < x.size(); ++i) interleaved[2 * i] = interleaved[2 * i + 1] = x[i];
    meter.push(interleaved.data(), x.size());
    for (std::size_t at = 0; at < x.size(); at += 1000) {
      model.push(x.data() + at, x.data() + at, std::min<std::size_t>(1000, x.size() - at));
    }
    LimiterShape shape;
    shape.ceiling_dbtp = -1.0;
    shape.output_gain_db = -0.5;
    for (const double drive : {-12.0, 0.0, 18.0}) {
      EXPECT_NEAR(model.lufs(drive, shape), meter.lufs() + drive - 0.5, 1e-9) << drive;
    }
    // 19 dB takes the peaks to the ceiling; beyond, the loudness stays.
    const double at_ceiling = meter.lufs() + 19.0 - 0.5;
    for (const double drive : {20.0, 24.0}) {
      EXPECT_NEAR(model.lufs(drive, shape), at_ceiling, 0.01) << drive;
    }
    EXPECT_NEAR(model.drive_for(meter.lufs() + 6.0, shape, -48.0, 24.0), 6.5, 0.002);
    EXPECT_TRUE(std::isnan(model.drive_for(at_ceiling + 1.0, shape, -48.0, 24.0)));
  }
}

}  // namespace
}  // namespace lacquer::daemon

