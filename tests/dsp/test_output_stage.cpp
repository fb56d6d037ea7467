// OutputStage: transparent defaults, gain, word-length reduction, smooth gain changes
// and bypass.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "lacquer/dsp/output_stage.hpp"

namespace lacquer::dsp {
namespace {

struct Signal {
  std::vector<double> l, r;
};

Signal noise(std::size_t n, double amp, std::uint32_t seed = 5) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-amp, amp);
  Signal s{std::vector<double>(n), std::vector<double>(n)};
  for (std::size_t i = 0; i < n; ++i) s.l[i] = u(rng), s.r[i] = u(rng);
  return s;
}

void run(OutputStage& st, Signal& s) {
  for (std::size_t pos = 0; pos < s.l.size(); pos += 256) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(256, s.l.size() - pos));
    st.process(s.l.data() + pos, s.r.data() + pos, n);
  }
}

TEST(OutputStage, DefaultsAreBitExact) {
  OutputStage st;
  st.prepare(48000.0, 256);
  st.reset(OutputStage::Params{});
  EXPECT_EQ(st.latency_frames(), 0u);
  const Signal in = noise(10000, 0.9);
  Signal out = in;
  run(st, out);
  EXPECT_EQ(out.l, in.l);
  EXPECT_EQ(out.r, in.r);
}

TEST(OutputStage, GainAndSixteenBitReduction) {
  OutputStage st;
  st.prepare(44100.0, 256);
  OutputStage::Params p;
  p.gain_db = -6.0;
  p.bits = 16;
  p.dither = DitherType::kTpdf;
  st.reset(p);
  const Signal in = noise(44100, 0.5);
  Signal out = in;
  run(st, out);
  const double g = db_to_gain(-6.0);
  double err2 = 0.0;
  for (std::size_t i = 0; i < in.l.size(); ++i) {
    ASSERT_EQ(out.l[i] * 32768.0, std::round(out.l[i] * 32768.0));
    const double e = out.l[i] - in.l[i] * g;
    ASSERT_LE(std::fabs(e), 1.5 / 32768.0 + 1e-12);  // rounding + TPDF peak
    err2 += e * e;
  }
  EXPECT_NEAR(10 * std::log10(err2 / in.l.size()), -96.33, 0.1);
}

TEST(OutputStage, GainChangeGlidesWithoutSteps) {
  OutputStage st;
  st.prepare(48000.0, 256);
  st.reset(OutputStage::Params{});
  OutputStage::Params p;
  p.gain_db = -20.0;
  st.set_params(p);
  // DC input: the output is the gain curve itself.
  Signal s{std::vector<double>(4800, 0.5), std::vector<double>(4800, 0.5)};
  run(st, s);
  const double ramp = 48000.0 * OutputStage::kSmoothingMs * 1e-3;
  const double bound = 0.5 * (1.0 - db_to_gain(-20.0)) / ramp;
  for (std::size_t i = 1; i < s.l.size(); ++i) {
    ASSERT_LE(std::fabs(s.l[i] - s.l[i - 1]), bound * 1.0001) << i;
  }
  EXPECT_DOUBLE_EQ(s.l.back(), 0.5 * db_to_gain(-20.0));
}

TEST(OutputStage, BypassFadesToTheExactInput) {
  OutputStage st;
  st.prepare(48000.0, 256);
  OutputStage::Params p;
  p.gain_db = 6.0;
  p.bits = 16;
  st.reset(p);
  p.bypass = true;
  st.set_params(p);
  Signal s{std::vector<double>(4800, 0.25), std::vector<double>(4800, 0.25)};
  run(st, s);
  // Crossfade from 0.5 to 0.25 over 10 ms, then the input bit for bit.
  for (std::size_t i = 1; i < 480; ++i) ASSERT_LE(std::fabs(s.l[i] - s.l[i - 1]), 0.25 / 480 + 1e-4);
  for (std::size_t i = 480; i < s.l.size(); ++i) ASSERT_EQ(s.l[i], 0.25);
}

TEST(OutputStage, ReportsShapingFallback) {
  OutputStage st;
  OutputStage::Params p;
  p.bits = 24;
  p.dither = DitherType::kShibata;
  st.prepare(96000.0, 256);
  st.reset(p);
  EXPECT_TRUE(st.shaping_fallback());
  st.prepare(48000.0, 256);
  st.reset(p);
  EXPECT_FALSE(st.shaping_fallback());
}

}  // namespace
}  // namespace lacquer::dsp
