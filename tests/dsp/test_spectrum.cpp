// SpectrumAnalyzer: calibration of bins and third-octave bands, the shape of white
// noise, smoothing, and the ring hand-off between an audio and an analysis thread.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <numbers>
#include <random>
#include <thread>
#include <vector>

#include "lacquer/dsp/smoother.hpp"
#include "lacquer/dsp/spectrum.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kRate = 48000.0;

void push_all(SpectrumAnalyzer& a, const std::vector<double>& l, const std::vector<double>& r) {
  for (std::size_t pos = 0; pos < l.size(); pos += 256) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(256, l.size() - pos));
    a.push(l.data() + pos, r.data() + pos, n);
    a.update();
  }
}

std::size_t nearest_band(const SpectrumAnalyzer& a, double hz) {
  const auto c = a.band_centres_hz();
  std::size_t best = 0;
  for (std::size_t b = 0; b < c.size(); ++b) {
    if (std::fabs(std::log(c[b] / hz)) < std::fabs(std::log(c[best] / hz))) best = b;
  }
  return best;
}

TEST(Spectrum, SineOnABinReadsItsAmplitude) {
  SpectrumAnalyzer a(kRate);
  const double bin = std::round(1000.0 * 4096 / kRate);  // the bin nearest 1 kHz
  const double f = bin * kRate / 4096;
  std::vector<double> l(static_cast<std::size_t>(2 * kRate)), r(l.size());
  for (std::size_t i = 0; i < l.size(); ++i) {
    l[i] = r[i] = db_to_gain(-20.0) * std::sin(2 * std::numbers::pi * f * i / kRate);
  }
  push_all(a, l, r);
  ASSERT_GT(a.frames_analysed(), 10u);
  EXPECT_NEAR(a.bins_db()[static_cast<std::size_t>(bin)], -20.0, 0.01);
  EXPECT_LT(a.bins_db()[static_cast<std::size_t>(bin) + 10], -100.0);  // Hann sidelobes
  const std::size_t band = nearest_band(a, 1000.0);
  EXPECT_NEAR(a.band_centres_hz()[band], 1000.0, 1e-9);
  EXPECT_NEAR(a.bands_db()[band], -20.0, 0.05);
  EXPECT_LT(a.bands_db()[band + 3], -80.0);
}

TEST(Spectrum, WhiteNoiseBandsFollowTheirBandwidth) {
  // White noise of variance s^2 has power s^2 * width / (fs / 2) in a band; on the
  // sine-amplitude scale (a sine's power is A^2 / 2) that reads 2 s^2 width / (fs / 2).
  SpectrumAnalyzer a(kRate, 4096, 2000.0);
  std::mt19937 rng(4);
  const double sigma = 0.1;
  std::normal_distribution<double> g(0.0, sigma);
  std::vector<double> l(static_cast<std::size_t>(10 * kRate)), r(l.size());
  for (std::size_t i = 0; i < l.size(); ++i) l[i] = r[i] = g(rng);
  push_all(a, l, r);
  for (std::size_t b = nearest_band(a, 1000.0); b < a.band_centres_hz().size(); ++b) {
    const double width = a.band_centres_hz()[b] * (std::pow(10.0, 0.05) - std::pow(10.0, -0.05));
    const double expected = 10 * std::log10(2 * sigma * sigma * width / (kRate / 2));
    EXPECT_NEAR(a.bands_db()[b], expected, 0.5) << a.band_centres_hz()[b] << " Hz";
  }
}

TEST(Spectrum, SmoothingDecaysWithItsTimeConstant) {
  const double tau_ms = 300.0;
  SpectrumAnalyzer a(kRate, 4096, tau_ms);
  std::vector<double> l(static_cast<std::size_t>(kRate)), r(l.size());
  for (std::size_t i = 0; i < l.size(); ++i) l[i] = r[i] = std::sin(0.3 * static_cast<double>(i));
  push_all(a, l, r);
  std::fill(l.begin(), l.end(), 0.0);
  std::fill(r.begin(), r.end(), 0.0);
  // Two frames of silence flush the tone out of the FFT window; after that each frame
  // multiplies the power by exp(-hop / tau).
  std::vector<double> half(2048, 0.0);
  auto frames_of_silence = [&](int k) {
    for (int i = 0; i < k; ++i) {
      a.push(half.data(), half.data(), 2048);
      a.update();
    }
  };
  frames_of_silence(3);
  const double bin = std::round(0.3 / (2 * std::numbers::pi) * 4096);
  const double before = a.bins_db()[static_cast<std::size_t>(bin)];
  frames_of_silence(5);
  const double after = a.bins_db()[static_cast<std::size_t>(bin)];
  const double hop_ms = 2048 / kRate * 1e3;
  EXPECT_NEAR(after - before, 10 * std::log10(std::exp(-5 * hop_ms / tau_ms)), 1e-6);
}

TEST(Spectrum, AudioAndAnalysisThreadsHandOffThroughTheRing) {
  SpectrumAnalyzer a(kRate);
  const std::size_t total = static_cast<std::size_t>(5 * kRate);
  std::vector<double> l(total), r(total);
  for (std::size_t i = 0; i < total; ++i) {
    l[i] = 0.5 * std::sin(2 * std::numbers::pi * 1500.0 * i / kRate);
    r[i] = l[i];
  }
  std::atomic<bool> done{false};
  std::thread audio([&] {
    for (std::size_t pos = 0; pos < total; pos += 256) {
      a.push(l.data() + pos, r.data() + pos, static_cast<std::uint32_t>(std::min<std::size_t>(256, total - pos)));
      if (pos % 4096 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    done = true;
  });
  while (!done) {
    a.update();
    std::this_thread::yield();
  }
  audio.join();
  a.update();
  // Every frame pushed was either analysed (in hops) or counted as dropped.
  const std::uint64_t analysed_samples = 4096 + (a.frames_analysed() - 1) * 2048;
  EXPECT_LE(analysed_samples + a.dropped_frames(), total);
  EXPECT_GT(analysed_samples + a.dropped_frames() + 4096, total);
  const std::size_t band = nearest_band(a, 1500.0);
  EXPECT_NEAR(a.bands_db()[band], 20 * std::log10(0.5), 0.2);
}

}  // namespace
}  // namespace lacquer::dsp
