// The stereo stage: transparency, width as side gain, and mono-below against the analytic LR4
// high-pass on the side and the matching allpass on the mid at 44.1, 48 and 96 kHz.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "lacquer/dsp/stereo_stage.hpp"
#include "response_probe.hpp"
#include "signals.hpp"

namespace lacquer::dsp {
namespace {

using test::max_step;
using test::noise;
using test::sine;

using test::Complex;

TEST(StereoStage, DefaultsAndBypassAreBitTransparent) {
  const auto in_l = noise(9600, 1), in_r = noise(9600, 2);
  StereoStage st;
  st.prepare(48000.0, 256);
  auto l = in_l, r = in_r;
  test::run_stage(st, l, r);
  EXPECT_EQ(l, in_l);
  EXPECT_EQ(r, in_r);
  // Width and mono-below on, then off again: after the glides the stage is exact again.
  StereoStage::Params p;
  p.width_pct = 150.0;
  p.mono_below_hz = 150.0;
  st.set_params(p);
  test::run_stage(st, l, r);
  st.set_params(StereoStage::Params{});
  l = in_l, r = in_r;
  test::run_stage(st, l, r);
  l = in_l, r = in_r;
  test::run_stage(st, l, r);
  EXPECT_EQ(l, in_l);
  EXPECT_EQ(r, in_r);
  EXPECT_EQ(st.latency_frames(), 0u);
}

TEST(StereoStage, WidthScalesTheSideOnly) {
  for (double width : {0.0, 50.0, 200.0}) {
    StereoStage st;
    st.prepare(48000.0, 256);
    StereoStage::Params p;
    p.width_pct = width;
    st.reset(p);
    // L = 0.3, R = 0.1: mid 0.2, side 0.1.
    std::vector<double> l(256, 0.3), r(256, 0.1);
    test::run_stage(st, l, r);
    EXPECT_NEAR(l.back(), 0.2 + 0.1 * width / 100.0, 1e-15);
    EXPECT_NEAR(r.back(), 0.2 - 0.1 * width / 100.0, 1e-15);
  }
}

TEST(StereoStage, MonoBelowMatchesLinkwitzRiley) {
  const double fc = 150.0;
  for (double fs : {44100.0, 48000.0, 96000.0}) {
    StereoStage::Params p;
    p.mono_below_hz = fc;
    auto response = [&](double impulse_right) {
      StereoStage st;
      st.prepare(fs, 256);
      st.reset(p);
      return test::impulse_response(
          [&](double* l, double* r, std::uint32_t n) { st.process(l, r, n); },
          static_cast<std::size_t>(fs / 2), 0, impulse_right);
    };
    const auto mid = response(1.0);    // L = R: mid only
    const auto side = response(-1.0);  // L = -R: side only
    for (double f : {20.0, 40.0, 80.0, 150.0, 300.0, 1000.0, 10000.0}) {
      EXPECT_LT(std::abs(test::dft_at(mid, f, fs) - test::lr4_all(f, fc, fs)), 1e-7) << f;
      EXPECT_LT(std::abs(test::dft_at(side, f, fs) - test::lr4_high(f, fc, fs)), 1e-7) << f;
    }
    // Side at 40 Hz is more than 40 dB down (LR4: 24 dB/oct below the corner).
    EXPECT_LT(test::mag_db(test::dft_at(side, 40.0, fs)), -40.0);
  }
}

}  // namespace
}  // namespace lacquer::dsp
