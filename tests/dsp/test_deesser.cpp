// The de-esser against its analytic static curve: the LR4 split's high band (bilinear,
// pre-warped) read by an RMS detector, the hard-knee curve capped at the range, and the
// tone leaving at |low + g high|.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "lacquer/dsp/chain.hpp"
#include "lacquer/dsp/deesser_stage.hpp"
#include "response_probe.hpp"
#include "signals.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kFs = 48000.0;

DeesserStage::Params active(double threshold_db, double ratio, double range_db) {
  return {.bypass = false, .freq_hz = 6000.0, .threshold_db = threshold_db, .ratio = ratio,
          .range_db = range_db, .attack_ms = 1.0, .release_ms = 60.0};
}

// Reduction (dB) of the high band for a steady tone of `amp` (peak) at f, from the curve.
double predicted_reduction_db(const DeesserStage::Params& p, double f, double amp) {
  const double detected_db =
      20.0 * std::log10(amp * std::abs(test::lr4_high(f, p.freq_hz, kFs)) / std::sqrt(2.0));
  return std::clamp((detected_db - p.threshold_db) * (1.0 - 1.0 / p.ratio), 0.0, p.range_db);
}

// Gain (dB) of that tone through the de-esser: low + g high, the bands in phase.
double predicted_gain_db(const DeesserStage::Params& p, double f, double amp) {
  const double g = std::pow(10.0, -predicted_reduction_db(p, f, amp) / 20.0);
  return test::mag_db(test::lr4_low(f, p.freq_hz, kFs) + g * test::lr4_high(f, p.freq_hz, kFs));
}

// Runs `x` on both channels through `stage` in blocks of 256; the left channel out.
std::vector<double> run(DeesserStage& stage, const std::vector<double>& x) {
  std::vector<double> l = x, r = x;
  for (std::size_t pos = 0; pos < x.size(); pos += 256) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(256, x.size() - pos));
    stage.process(l.data() + pos, r.data() + pos, n);
  }
  return l;
}

// Level (dB) of the component at f in the last `tail` samples of y relative to x.
double component_gain_db(const std::vector<double>& x, const std::vector<double>& y, double f,
                         std::size_t tail) {
  const std::vector<double> xs(x.end() - static_cast<std::ptrdiff_t>(tail), x.end());
  const std::vector<double> ys(y.end() - static_cast<std::ptrdiff_t>(tail), y.end());
  return test::mag_db(test::dft_at(ys, f, kFs) / test::dft_at(xs, f, kFs));
}

TEST(Deesser, SibilantToneFollowsTheStaticCurve) {
  struct Case {
    double f, amp_db, threshold_db, ratio, range_db;
  };
  // Over the threshold, near it, past the range; at 1.5x, 2x and 2.7x the split.
  for (const Case c : {Case{12000.0, -16.0, -30.0, 4.0, 12.0}, Case{12000.0, -22.0, -30.0, 2.0, 12.0},
                       Case{16000.0, -6.0, -30.0, 10.0, 12.0}, Case{9000.0, -12.0, -40.0, 3.0, 18.0}}) {
    DeesserStage stage;
    stage.prepare(kFs, 256);
    const DeesserStage::Params p = active(c.threshold_db, c.ratio, c.range_db);
    stage.reset(p);
    const double amp = std::pow(10.0, c.amp_db / 20.0);
    const std::vector<double> x = test::sine(48000, c.f, amp, kFs);
    const std::vector<double> y = run(stage, x);
    const double want = predicted_gain_db(p, c.f, amp);
    EXPECT_LT(want, -0.5) << c.f;  // the case reduces
    EXPECT_NEAR(component_gain_db(x, y, c.f, 12000), want, 0.5) << c.f << " Hz at " << c.amp_db;
    EXPECT_NEAR(stage.gain_reduction_db(), predicted_reduction_db(p, c.f, amp), 0.5);
  }
}

TEST(Deesser, ToneBelowTheSplitIsUntouchedBesideSibilance) {
  DeesserStage stage;
  stage.prepare(kFs, 256);
  stage.reset(active(-40.0, 8.0, 12.0));
  // A loud 1 kHz tone alone: no reduction, level kept.
  const std::vector<double> low = test::sine(48000, 1000.0, 0.5, kFs);
  EXPECT_NEAR(component_gain_db(low, run(stage, low), 1000.0, 12000), 0.0, 0.1);
  EXPECT_EQ(stage.gain_reduction_db(), 0.0);
  // With a sibilant tone the high band is reduced and the 1 kHz tone keeps its level.
  std::vector<double> mix = test::sine(48000, 12000.0, 0.3, kFs);
  for (std::size_t i = 0; i < mix.size(); ++i) mix[i] += low[i];
  const std::vector<double> y = run(stage, mix);
  EXPECT_GT(stage.gain_reduction_db(), 6.0);
  EXPECT_LT(component_gain_db(mix, y, 12000.0, 12000), -6.0);
  EXPECT_NEAR(component_gain_db(mix, y, 1000.0, 12000), 0.0, 0.1);
}

TEST(Deesser, BypassedByDefaultAndBitTransparent) {
  DeesserStage stage;
  stage.prepare(kFs, 256);
  const std::vector<double> x = test::noise(4096, 3);
  EXPECT_EQ(run(stage, x), x);
  const ParamStore store(Schema::instance());
  EXPECT_TRUE(store.flag(Schema::instance().id("/chain/deesser/bypass")));
}

TEST(Deesser, ChainRunsItFromTheSchemaBeforeTheLimiter) {
  ParamStore store(Schema::instance());
  const Schema& s = Schema::instance();
  store.set(s.id("/chain/deesser/bypass"), 0.0);
  store.set(s.id("/chain/deesser/threshold"), -30.0);
  store.set(s.id("/chain/deesser/ratio"), 4.0);
  Chain chain(store, kFs);
  const double amp = std::pow(10.0, -16.0 / 20.0);
  const std::vector<double> tone = test::sine(48000, 12000.0, amp, kFs);
  std::vector<float> in(tone.begin(), tone.end()), out(in.size());
  for (std::size_t pos = 0; pos < in.size(); pos += 512) {
    const float* i2[2] = {in.data() + pos, in.data() + pos};
    float* o2[2] = {out.data() + pos, out.data() + pos};
    chain.process(i2, o2, nullptr,
                  static_cast<std::uint32_t>(std::min<std::size_t>(512, in.size() - pos)));
  }
  const std::vector<double> y(out.begin(), out.end());
  const std::vector<double> x(in.begin(), in.end());
  // The chain's latency is a whole number of the tone's 4-sample periods at 48 kHz or not:
  // compare magnitudes only.
  const double want = predicted_gain_db(active(-30.0, 4.0, 12.0), 12000.0, amp);
  EXPECT_NEAR(test::mag_db(test::dft_at(std::vector<double>(y.end() - 12000, y.end()), 12000.0,
                                        kFs)) -
                  test::mag_db(test::dft_at(std::vector<double>(x.end() - 12000, x.end()),
                                            12000.0, kFs)),
              want, 0.5);
}

}  // namespace
}  // namespace lacquer::dsp
