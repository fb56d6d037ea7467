// Biquad designs against the analog prototypes of the RBJ cookbook mapped by the pre-warped
// bilinear transform, Butterworth section Qs against the pole angles, and the coefficient ramp.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/vector_section.hpp"
#include "response_probe.hpp"

namespace lacquer::dsp {
namespace {

using test::Complex;

// H(e^jw) of a section evaluated from its coefficients.
Complex eval(const BiquadCoeffs& c, double freq_hz, double fs) {
  const Complex z1 = std::polar(1.0, -2.0 * std::numbers::pi * freq_hz / fs);
  return (c.b0 + c.b1 * z1 + c.b2 * z1 * z1) / (1.0 + c.a1 * z1 + c.a2 * z1 * z1);
}

struct Case {
  BiquadShape shape;
  double f0, q, gain_db;
};

Complex prototype(const Case& k, Complex s) {
  const double a = std::pow(10.0, k.gain_db / 40.0);
  switch (k.shape) {
    case BiquadShape::bell:
      return test::proto_bell(s, k.q, a);
    case BiquadShape::low_shelf:
      return test::proto_low_shelf(s, k.q, a);
    case BiquadShape::high_shelf:
      return test::proto_high_shelf(s, k.q, a);
    case BiquadShape::low_pass:
      return test::proto_low_pass2(s, k.q);
    case BiquadShape::high_pass:
      return test::proto_high_pass2(s, k.q);
    case BiquadShape::notch:
      return test::proto_notch(s, k.q);
    case BiquadShape::all_pass:
      return test::proto_all_pass2(s, k.q);
  }
  return 0.0;
}

TEST(Biquad, DesignsMatchAnalogPrototypes) {
  const Case cases[] = {
      {BiquadShape::bell, 25.0, 1.0, 6.0},      {BiquadShape::bell, 3000.0, 4.0, -9.0},
      {BiquadShape::low_shelf, 80.0, 0.7071, 4.0}, {BiquadShape::high_shelf, 9000.0, 0.9, -3.0},
      {BiquadShape::low_pass, 15000.0, 0.7071, 0.0}, {BiquadShape::high_pass, 20.0, 1.2, 0.0},
      {BiquadShape::notch, 60.0, 8.0, 0.0},     {BiquadShape::all_pass, 500.0, 0.7071, 0.0},
  };
  const double probes[] = {10.0, 20.0, 31.5, 63.0, 125.0, 500.0, 1000.0, 2500.0, 7000.0, 12000.0,
                           19000.0};
  for (double fs : {44100.0, 48000.0, 96000.0}) {
    for (const Case& k : cases) {
      const BiquadCoeffs c = design_biquad(k.shape, fs, k.f0, k.q, k.gain_db);
      for (double f : probes) {
        const Complex want = prototype(k, test::warped_s(f, k.f0, fs));
        const Complex got = eval(c, f, fs);
        EXPECT_LT(std::abs(got - want), 1e-9 * std::max(1.0, std::abs(want)))
            << "shape " << static_cast<int>(k.shape) << " fs " << fs << " f " << f;
      }
    }
  }
}

TEST(Biquad, ButterworthSectionQs) {
  // Published section Qs of Butterworth filters of order 4, 6, 8.
  EXPECT_NEAR(butterworth_section_q(2, 0), 0.707107, 1e-6);
  EXPECT_NEAR(butterworth_section_q(4, 0), 1.306563, 1e-6);
  EXPECT_NEAR(butterworth_section_q(4, 1), 0.541196, 1e-6);
  EXPECT_NEAR(butterworth_section_q(6, 0), 1.931852, 1e-6);
  EXPECT_NEAR(butterworth_section_q(6, 1), 0.707107, 1e-6);
  EXPECT_NEAR(butterworth_section_q(6, 2), 0.517638, 1e-6);
  EXPECT_NEAR(butterworth_section_q(8, 0), 2.562915, 1e-6);
  EXPECT_NEAR(butterworth_section_q(8, 3), 0.509796, 1e-6);
}

TEST(Biquad, FirstOrderHighPassMatchesPrototype) {
  for (double fs : {44100.0, 96000.0}) {
    const BiquadCoeffs c = design_first_order_high_pass(fs, 5.0);
    for (double f : {0.5, 2.0, 5.0, 20.0, 1000.0}) {
      const Complex s = test::warped_s(f, 5.0, fs);
      EXPECT_LT(std::abs(eval(c, f, fs) - s / (s + 1.0)), 1e-9) << f;
    }
  }
}

TEST(Biquad, StateRunsTheDifferenceEquation) {
  // Impulse response of TDF-II against the direct-form recursion of the same coefficients.
  const BiquadCoeffs c = design_biquad(BiquadShape::bell, 48000.0, 1000.0, 2.0, 6.0);
  BiquadState st;
  double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (int n = 0; n < 200; ++n) {
    const double x = n == 0 ? 1.0 : 0.0;
    const double y = c.b0 * x + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
    EXPECT_NEAR(st.process(c, x), y, 1e-15);
    x2 = x1;
    x1 = x;
    y2 = y1;
    y1 = y;
  }
}

// Two frames per step (the state after both straight from the state before) is the same
// filter as frame by frame, for every RBJ shape from deep bass to near Nyquist.
TEST(Biquad, TwoFramesPerStepRunTheSameFilter) {
  using simd::f64x2;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (const BiquadShape shape : {BiquadShape::high_pass, BiquadShape::low_pass, BiquadShape::bell,
                                  BiquadShape::low_shelf, BiquadShape::notch}) {
    for (const double f : {20.0, 90.0, 1000.0, 18000.0}) {
      const auto c = VectorCoeffs<f64x2>::splat(design_biquad(shape, 48000.0, f, 0.9, 6.0));
      const TwoFrameCoeffs<f64x2> two(c);
      VectorSection<f64x2> by_frame, by_two;
      double worst = 0.0, peak = 0.0;
      for (int i = 0; i < 20000; i += 2) {
        const f64x2 x0 = {u(rng), u(rng)};
        const f64x2 x1 = {u(rng), u(rng)};
        const f64x2 a0 = by_frame.process(c, x0);
        const f64x2 a1 = by_frame.process(c, x1);
        f64x2 b0, b1;
        by_two.process_two(two, x0, x1, b0, b1);
        for (int k = 0; k < 2; ++k) {
          worst = std::max({worst, std::fabs(a0[k] - b0[k]), std::fabs(a1[k] - b1[k])});
          peak = std::max({peak, std::fabs(a0[k]), std::fabs(a1[k])});
        }
      }
      // The two forms round differently: apart by the sections' own rounding noise, which a
      // 20 Hz pole pair at 48 kHz lifts to ~1e-12 of the signal; a wrong term is 1e-3 or more.
      EXPECT_LT(worst, 1e-10 * peak) << static_cast<int>(shape) << " at " << f << " Hz";
    }
  }
}

TEST(Biquad, RampReachesTargetExactlyAndMovesLinearly) {
  const BiquadCoeffs from = design_biquad(BiquadShape::low_pass, 48000.0, 100.0, 0.7, 0.0);
  const BiquadCoeffs to = design_biquad(BiquadShape::low_pass, 48000.0, 10000.0, 0.7, 0.0);
  BiquadRamp ramp;
  ramp.reset(from);
  ramp.set_target(to, 16);
  for (int i = 1; i < 16; ++i) {
    const BiquadCoeffs& c = ramp.next();
    EXPECT_NEAR(c.a1, from.a1 + (to.a1 - from.a1) * i / 16.0, 1e-14);
    // Inside the stability triangle: |a2| < 1 and |a1| < 1 + a2.
    EXPECT_LT(std::abs(c.a2), 1.0);
    EXPECT_LT(std::abs(c.a1), 1.0 + c.a2);
  }
  EXPECT_EQ(ramp.next(), to);
  EXPECT_EQ(ramp.next(), to);
}

TEST(Biquad, GlideMovesInLogFrequencyAndSignalsRedesigns) {
  FilterGlide g;
  g.prepare(48000.0, 20.0);  // 960 samples = 60 blocks of 16
  g.reset(100.0, 1.0, 0.0);
  EXPECT_FALSE(g.advance());
  g.set_target(10000.0, 1.0, 12.0);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(g.advance());
  EXPECT_NEAR(g.freq_hz(), 1000.0, 1e-9);  // half-way in log frequency
  EXPECT_NEAR(g.gain_db(), 6.0, 1e-12);
  for (int i = 0; i < 30; ++i) EXPECT_TRUE(g.advance());
  EXPECT_FALSE(g.advance());
  EXPECT_NEAR(g.freq_hz(), 10000.0, 1e-9);
}

}  // namespace
}  // namespace lacquer::dsp
