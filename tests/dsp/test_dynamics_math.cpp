// The compressor's vectorised level-to-dB and dB-to-gain conversions against the library's
// log10 and pow over their whole range, lane by lane, with the error bounds they state.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "lacquer/dsp/dynamics.hpp"

namespace lacquer::dsp {
namespace {

using simd::f64x4;

TEST(DynamicsMath, PowerToDbWithin1e8DbOfLog10) {
  std::mt19937_64 rng(11);
  // Powers from 1e-300 to 1e300, log-uniform, plus the exact powers of two and the mantissa
  // ends around sqrt 2 where the range reduction switches.
  std::uniform_real_distribution<double> exponent(-300.0, 300.0);
  double worst = 0.0;
  auto check = [&worst](f64x4 p) {
    const f64x4 db = power_to_db(p);
    for (int k = 0; k < 4; ++k) {
      const double want = 10.0 * std::log10(p[k]);
      worst = std::max(worst, std::abs(db[k] - want));
      ASSERT_NEAR(db[k], want, 1e-8) << p[k];
    }
  };
  for (int n = 0; n < 200000; ++n) {
    check(f64x4{std::pow(10.0, exponent(rng)), std::pow(10.0, exponent(rng)),
                std::pow(10.0, exponent(rng)), std::pow(10.0, exponent(rng))});
  }
  for (int e = -1000; e <= 1000; e += 4) {
    const double s = std::ldexp(1.0, e);
    check(f64x4{s, s * std::nextafter(std::sqrt(2.0), 0.0), s * std::sqrt(2.0),
                s * std::nextafter(2.0, 0.0)});
  }
  std::printf("power_to_db: largest error %.2e dB\n", worst);
  // Silence and denormals read far below any threshold instead of -inf or NaN.
  const f64x4 low = power_to_db(f64x4{0.0, 1e-310, 4.9e-324, 1e-300});
  for (int k = 0; k < 3; ++k) EXPECT_LT(low[k], -3000.0);
}

TEST(DynamicsMath, ReductionToGainWithin1e11OfPow) {
  double worst = 0.0;
  for (double db = 0.0; db + 0.003 <= 6000.0; db += 0.0037) {
    const f64x4 g = reduction_db_to_gain(f64x4{db, db + 0.001, db + 0.002, db + 0.003});
    for (int k = 0; k < 4; ++k) {
      const double x = db + 0.001 * k;
      const double want = std::pow(10.0, -x / 20.0);
      const double rel = std::abs(g[k] / want - 1.0);
      worst = std::max(worst, rel);
      ASSERT_LT(rel, 1e-11) << x;
    }
  }
  std::printf("reduction_db_to_gain: largest relative error %.2e\n", worst);
  // 0 dB is exactly unity; beyond 6000 dB the gain holds at that of 6000 dB.
  const f64x4 edge = reduction_db_to_gain(f64x4{0.0, 6000.0, 7000.0, 1e300});
  EXPECT_EQ(edge[0], 1.0);
  EXPECT_EQ(edge[2], edge[1]);
  EXPECT_EQ(edge[3], edge[1]);
  EXPECT_GT(edge[1], 0.0);
}

}  // namespace
}  // namespace lacquer::dsp
