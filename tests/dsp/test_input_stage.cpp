// The input stage: transparency, the channel gains (trim, balance, polarity), the DC blocker
// against the first-order high-pass prototype, and no step larger than the signal's own when
// trim jumps or a polarity flips.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "lacquer/dsp/input_stage.hpp"
#include "response_probe.hpp"
#include "signals.hpp"

namespace lacquer::dsp {
namespace {

using test::max_step;
using test::noise;
using test::sine;

TEST(InputStage, DefaultsAndBypassAreBitTransparent) {
  const auto in = noise(9600, 1);
  InputStage st;
  st.prepare(48000.0, 256);
  auto l = in, r = in;
  test::run_stage(st, l, r);
  EXPECT_EQ(l, in);
  EXPECT_EQ(r, in);
  InputStage::Params p;
  p.trim_db = 6.0;
  p.dc_block = true;
  p.bypass = true;
  st.set_params(p);
  test::run_stage(st, l, r);
  l = in, r = in;
  test::run_stage(st, l, r);
  EXPECT_EQ(l, in);
  EXPECT_EQ(st.latency_frames(), 0u);
}

TEST(InputStage, TrimBalanceAndPolarity) {
  struct Case {
    double trim_db, balance_pct;
    bool inv_l, inv_r;
    double want_l, want_r;
  };
  const Case cases[] = {
      {6.0, 0.0, false, false, db_to_gain(6.0), db_to_gain(6.0)},
      {0.0, 50.0, false, false, 0.5, 1.0},   // +50 %: left down by half
      {0.0, -100.0, false, false, 1.0, 0.0}, // -100 %: right silent
      {-3.0, -25.0, true, false, -db_to_gain(-3.0), 0.75 * db_to_gain(-3.0)},
      {0.0, 0.0, false, true, 1.0, -1.0},
  };
  for (const Case& c : cases) {
    InputStage st;
    st.prepare(48000.0, 256);
    InputStage::Params p;
    p.trim_db = c.trim_db;
    p.balance_pct = c.balance_pct;
    p.invert_left = c.inv_l;
    p.invert_right = c.inv_r;
    st.reset(p);
    std::vector<double> l(256, 0.25), r(256, 0.25);
    test::run_stage(st, l, r);
    EXPECT_NEAR(l.back(), 0.25 * c.want_l, 1e-15);
    EXPECT_NEAR(r.back(), 0.25 * c.want_r, 1e-15);
  }
}

TEST(InputStage, DcBlockerMatchesFirstOrderHighPass) {
  for (double fs : {44100.0, 48000.0, 96000.0}) {
    InputStage st;
    st.prepare(fs, 256);
    InputStage::Params p;
    p.dc_block = true;
    st.reset(p);
    const auto h = test::impulse_response(
        [&](double* l, double* r, std::uint32_t n) { st.process(l, r, n); },
        static_cast<std::size_t>(2 * fs));
    for (double f : {1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 1000.0}) {
      const test::Complex s = test::warped_s(f, InputStage::kDcBlockHz, fs);
      EXPECT_LT(std::abs(test::dft_at(h, f, fs) - s / (s + 1.0)), 1e-7) << fs << " " << f;
    }
    // 0.07 dB down at 40 Hz, as documented: |H|^2 = 1 / (1 + (5/40)^2).
    EXPECT_NEAR(test::mag_db(test::dft_at(h, 40.0, fs)), -10.0 * std::log10(1.0 + 1.0 / 64.0), 1e-4);
  }
  // A DC offset is gone after one second (time constant 1 / (2 pi 5 Hz) = 32 ms).
  InputStage st;
  st.prepare(48000.0, 256);
  InputStage::Params p;
  p.dc_block = true;
  st.reset(p);
  std::vector<double> l(48000, 0.1), r(48000, -0.1);
  test::run_stage(st, l, r);
  EXPECT_LT(std::abs(l.back()), 1e-12);
}

TEST(InputStage, TrimJumpAndPolarityFlipDoNotClick) {
  // A 100 Hz sine at -12 dBFS; trim jumps -24 -> +24 dB, then the left polarity flips, each
  // at a crest. Bound: the sine's own steepest step at +24 dB, plus 5 %; an un-ramped jump
  // would step by the whole change of gain times the crest.
  const double fs = 48000.0, f = 100.0, amp = 0.25;
  std::vector<double> l(48000);
  for (std::size_t i = 0; i < l.size(); ++i) l[i] = amp * std::sin(2 * std::numbers::pi * f * i / fs);
  auto r = l;
  InputStage st;
  st.prepare(fs, 256);
  InputStage::Params p;
  p.trim_db = -24.0;
  st.reset(p);
  for (std::size_t pos = 0; pos < l.size(); pos += 64) {
    if (pos == 12096) p.trim_db = 24.0;
    if (pos == 36096) p.invert_left = true;
    st.set_params(p);
    st.process(l.data() + pos, r.data() + pos, 64);
  }
  const double bound = 1.05 * db_to_gain(24.0) * amp * 2.0 * std::sin(std::numbers::pi * f / fs);
  const double unramped = (db_to_gain(24.0) - db_to_gain(-24.0)) * amp * 0.99;
  std::printf("trim jump / polarity flip: max step %.4f (bound %.4f; un-ramped jump %.4f)\n",
              max_step(l), bound, unramped);
  EXPECT_LT(max_step(l), bound);
}

}  // namespace
}  // namespace lacquer::dsp
