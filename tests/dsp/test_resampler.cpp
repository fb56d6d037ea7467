// Resampler (libsoxr VHQ): length, time alignment and amplitude of converted sines, and
// rejection of what lies above the new Nyquist frequency.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "lacquer/dsp/resampler.hpp"

namespace lacquer::dsp {
namespace {

// Converts a stereo signal (same on both channels) in chunks of 1000 frames.
std::vector<double> convert(const std::vector<double>& x, double in_rate, double out_rate) {
  Resampler rs(in_rate, out_rate);
  std::vector<double> out;
  std::vector<double> ol(4096), orr(4096);
  double* o[2] = {ol.data(), orr.data()};
  for (std::size_t pos = 0; pos < x.size();) {
    const std::size_t n = std::min<std::size_t>(1000, x.size() - pos);
    const double* in[2] = {x.data() + pos, x.data() + pos};
    const auto r = rs.process(in, n, o, ol.size());
    out.insert(out.end(), ol.begin(), ol.begin() + static_cast<std::ptrdiff_t>(r.produced));
    pos += r.consumed;
  }
  for (std::size_t got; (got = rs.flush(o, ol.size())) > 0;) {
    out.insert(out.end(), ol.begin(), ol.begin() + static_cast<std::ptrdiff_t>(got));
  }
  EXPECT_EQ(out.size(), rs.output_frames(x.size()));
  return out;
}

std::vector<double> sine(double freq, double amp, double rate, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = amp * std::sin(2 * std::numbers::pi * freq * i / rate);
  return x;
}

// RMS (dB) of out - expected over the middle of the signal, away from the edges where
// the abrupt start and end ring.
double interior_error_db(const std::vector<double>& out, const std::vector<double>& expected) {
  const std::size_t a = out.size() / 4, b = 3 * out.size() / 4;
  double e2 = 0.0;
  for (std::size_t i = a; i < b; ++i) e2 += (out[i] - expected[i]) * (out[i] - expected[i]);
  return 10 * std::log10(e2 / static_cast<double>(b - a));
}

TEST(Resampler, SinesArriveAlignedAndAtFullLevel) {
  // Error bound (dB re full scale) against the ideal resampled sine; near the top of
  // the passband (19 kHz of 22.05) soxr's ripple allows slightly more.
  struct Case {
    double in_rate, out_rate, freq, bound_db;
  };
  for (const Case c : {Case{44100, 48000, 997, -100}, Case{48000, 44100, 15000, -100},
                       Case{96000, 44100, 19000, -80}, Case{44100, 96000, 10000, -100}}) {
    const auto x = sine(c.freq, 0.5, c.in_rate, static_cast<std::size_t>(c.in_rate));
    const auto y = convert(x, c.in_rate, c.out_rate);
    // The same sine sampled at the new rate from the same time origin.
    const auto expected = sine(c.freq, 0.5, c.out_rate, y.size());
    EXPECT_LT(interior_error_db(y, expected), c.bound_db)
        << c.in_rate << " -> " << c.out_rate << " at " << c.freq << " Hz";
  }
}

TEST(Resampler, RejectsWhatLiesAboveTheNewNyquist) {
  // 30 kHz at full scale from 96 kHz to 44.1 kHz (Nyquist 22.05 kHz) must vanish.
  const auto x = sine(30000.0, 1.0, 96000.0, 96000);
  const auto y = convert(x, 96000.0, 44100.0);
  const std::vector<double> silence(y.size(), 0.0);
  EXPECT_LT(interior_error_db(y, silence), -140.0);
}

TEST(Resampler, RefusesBadRates) {
  for (const double bad : {0.0, -44100.0, std::nan(""), HUGE_VAL}) {
    EXPECT_THROW(Resampler(bad, 48000.0), std::runtime_error) << bad;
    EXPECT_THROW(Resampler(48000.0, bad), std::runtime_error) << bad;
  }
  EXPECT_THROW(Resampler(44100.0, 48000.0, 0), std::runtime_error);
}

}  // namespace
}  // namespace lacquer::dsp
