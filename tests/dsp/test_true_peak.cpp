// TruePeakDetector: sine peaks read within a few hundredths of a dB up to 20 kHz at
// 48 kHz, original samples pass through exactly, and the conservative mode reads at least
// what libebur128 reads on wideband material; the stereo detector reads what two mono
// detectors read, and skips no reading above its level.

#include <ebur128.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "lacquer/dsp/true_peak.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kPi = std::numbers::pi;

double detect(TruePeakDetector& d, const std::vector<double>& x) {
  double peak = 0.0;
  for (double v : x) peak = std::max(peak, d.push(v));
  return peak;
}

TEST(TruePeak, SinePeaksAcrossTheBand) {
  for (double freq : {100.0, 1000.0, 5000.0, 10000.0, 12000.0, 15000.0, 18000.0, 20000.0}) {
    for (double phase = 0.0; phase < 1.0; phase += 0.125) {
      // 0.1 s with 20 ms fades (an abrupt start overshoots between samples by itself).
      std::vector<double> x(4800);
      for (std::size_t i = 0; i < x.size(); ++i) {
        const double fade = std::min({1.0, i / 960.0, (4799.0 - i) / 960.0});
        x[i] = fade * std::sin(2 * kPi * (freq * i / 48000.0 + phase));
      }
      TruePeakDetector d;
      const double db = 20 * std::log10(detect(d, x));
      // Sampling the interpolation every quarter sample can miss the crest by up to
      // 1 - cos(pi f / (2 fs)) of it; the filter adds no more than 0.02 dB.
      const double grid_loss_db = 20 * std::log10(std::cos(kPi * freq / 48000.0 / 4));
      EXPECT_LE(db, 0.02) << freq << " Hz";
      EXPECT_GE(db, grid_loss_db - 0.02) << freq << " Hz phase " << phase;
    }
  }
}

TEST(TruePeak, OriginalSamplesPassExactly) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> x(1000);
  for (double& v : x) v = u(rng);
  TruePeakDetector d;
  double out[TruePeakDetector::kOversampling];
  for (std::size_t n = 0; n < x.size(); ++n) {
    const double peak = d.push(x[n], out);
    if (n >= TruePeakDetector::kDelayFrames) {
      ASSERT_EQ(out[0], x[n - TruePeakDetector::kDelayFrames]);
      ASSERT_GE(peak, std::fabs(out[0]));
    }
  }
}

TEST(TruePeak, ConservativeModeCoversLibebur128) {
  for (double rate : {44100.0, 48000.0, 96000.0}) {
    std::mt19937 rng(static_cast<std::uint32_t>(rate));
    std::normal_distribution<double> g(0.0, 0.25);
    std::vector<double> x(static_cast<std::size_t>(rate));
    for (double& v : x) v = g(rng);
    ebur128_state* st = ebur128_init(1, static_cast<unsigned long>(rate), EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_double(st, x.data(), x.size());
    double reference = 0.0;
    ebur128_true_peak(st, 0, &reference);
    ebur128_destroy(&st);
    // libebur128 interpolates in single precision.
    x.resize(x.size() + 2 * TruePeakDetector::kDelayFrames, 0.0);
    TruePeakDetector conservative(TruePeakDetector::Mode::kConservative, rate);
    TruePeakDetector accurate(TruePeakDetector::Mode::kAccurate, rate);
    EXPECT_GE(detect(conservative, x), reference * (1 - 1e-6)) << rate;
    EXPECT_GE(detect(conservative, x), detect(accurate, x));
  }
}

TEST(TruePeak, StereoDetectorReadsAsTwoMonoDetectors) {
  for (const auto mode : {TruePeakDetector::Mode::kAccurate, TruePeakDetector::Mode::kConservative}) {
    for (double rate : {44100.0, 96000.0, 192000.0}) {
      std::mt19937 rng(7);
      std::normal_distribution<double> g(0.0, 0.3);
      TruePeakDetector left(mode, rate), right(mode, rate);
      StereoTruePeakDetector each(mode, rate), larger(mode, rate);
      for (int i = 0; i < 4000; ++i) {
        // Right is a quieter, different signal: each channel must be read on its own lanes.
        const double l = g(rng);
        const double r = 0.5 * g(rng) + 0.2 * std::sin(0.3 * i);
        const double mono_l = left.push(l);
        const double mono_r = right.push(r);
        const simd::f64x2 both = each.push_each(l, r);
        ASSERT_EQ(both[0], mono_l) << i;
        ASSERT_EQ(both[1], mono_r) << i;
        ASSERT_EQ(larger.push(l, r), std::max(mono_l, mono_r)) << i;
      }
    }
  }
}

TEST(TruePeak, StereoPushAboveKeepsEveryReadingAboveTheLevel) {
  std::mt19937 rng(11);
  std::normal_distribution<double> g(0.0, 0.3);
  std::uniform_real_distribution<double> quiet(0.0, 1.0);
  TruePeakDetector left(TruePeakDetector::Mode::kConservative, 48000.0);
  TruePeakDetector right(TruePeakDetector::Mode::kConservative, 48000.0);
  StereoTruePeakDetector stereo(TruePeakDetector::Mode::kConservative, 48000.0);
  const double level = 0.5;
  int above = 0;
  for (int i = 0; i < 20000; ++i) {
    // Bursts in one channel or the other between quiet stretches.
    const bool burst_l = (i / 300) % 3 == 0;
    const bool burst_r = (i / 500) % 4 == 1;
    const double l = burst_l ? g(rng) : 0.01 * quiet(rng);
    const double r = burst_r ? g(rng) : 0.01 * quiet(rng);
    const double mono = std::max(left.push(l), right.push(r));
    const double both = stereo.push_above(l, r, level);
    // Readings at or below the level carry no decision; above it none may be skipped.
    if (mono > level || both > level) {
      ASSERT_EQ(both, mono) << i;
      ++above;
    }
  }
  EXPECT_GT(above, 1000);
}

}  // namespace
}  // namespace lacquer::dsp
