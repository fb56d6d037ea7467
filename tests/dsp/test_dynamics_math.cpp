// The compressor's vectorised level-to-dB and dB-to-gain conversions against the library's
// log10 and pow over their whole range, lane by lane, with the error bounds they state, in
// double and in single precision; and the block form of the detector, curve and ballistics
// against the frame form.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "lacquer/dsp/dynamics.hpp"

namespace lacquer::dsp {
namespace {

using simd::f32x8;
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

TEST(DynamicsMath, SinglePrecisionPowerToDbWithin1e5Db) {
  std::mt19937_64 rng(12);
  // Powers from 1e-30 to 1e30 (levels of -300 to +300 dB), log-uniform; the float rounding of
  // the power itself is part of what the side chain sees, so the reference takes the float.
  std::uniform_real_distribution<double> exponent(-30.0, 30.0);
  double worst = 0.0;
  for (int n = 0; n < 100000; ++n) {
    f32x8 p;
    for (int k = 0; k < 8; ++k) p[k] = static_cast<float>(std::pow(10.0, exponent(rng)));
    const f32x8 db = power_to_db(p);
    for (int k = 0; k < 8; ++k) {
      const double want = 10.0 * std::log10(static_cast<double>(p[k]));
      const double err = std::abs(static_cast<double>(db[k]) - want);
      worst = std::max(worst, err);
      ASSERT_LT(err, 1e-5 + 1e-7 * std::abs(want)) << p[k];
    }
  }
  std::printf("power_to_db (float): largest error %.2e dB\n", worst);
  const f32x8 low = power_to_db(f32x8{0.0f, 1e-40f, 1e-45f, 1e-38f, 1.0f, 2.0f, 0.5f, 1e38f});
  for (int k = 0; k < 3; ++k) EXPECT_LT(low[k], -300.0f);
  EXPECT_EQ(low[4], 0.0f);
}

// Beyond 3e-7, the float's resolution of the reduction itself (1e-7 of it) shows in the gain.
TEST(DynamicsMath, SinglePrecisionReductionToGainWithin3e7OfPow) {
  double worst = 0.0;
  for (double db = 0.0; db + 0.007 <= 700.0; db += 0.0093) {
    f32x8 x;
    for (int k = 0; k < 8; ++k) x[k] = static_cast<float>(db + 0.001 * k);
    const f32x8 g = reduction_db_to_gain(x);
    for (int k = 0; k < 8; ++k) {
      const double want = std::pow(10.0, -static_cast<double>(x[k]) / 20.0);
      const double rel = std::abs(static_cast<double>(g[k]) / want - 1.0);
      worst = std::max(worst, rel);
      ASSERT_LT(rel, 3e-7 + 1e-8 * static_cast<double>(x[k])) << x[k];
    }
  }
  std::printf("reduction_db_to_gain (float): largest relative error %.2e\n", worst);
  const f32x8 edge = reduction_db_to_gain(f32x8{0.0f, 700.0f, 800.0f, 1e30f, 0.0f, 0.0f, 0.0f, 0.0f});
  EXPECT_EQ(edge[0], 1.0f);
  EXPECT_EQ(edge[2], edge[1]);
  EXPECT_EQ(edge[3], edge[1]);
  EXPECT_GT(edge[1], 0.0f);
}

// Blocks of every length from 1 to 64, on a side chain that moves between silence, the knee
// and far above the threshold (so that frames below the curve's floor and above it share a
// block): process_block() gives each frame's reduction exactly as process() does.
template <typename V>
void expect_block_equals_frames() {
  Dynamics<V> by_frame, by_block;
  const DynamicsSettings settings{.threshold_db = -30.0, .ratio = 4.0, .knee_db = 6.0,
                                  .attack_ms = 1.0, .release_ms = 40.0};
  for (Dynamics<V>* d : {&by_frame, &by_block}) {
    d->prepare(48000.0);
    for (int pair = 0; pair < Dynamics<V>::kPairs; ++pair) {
      d->reset(pair, settings, pair % 2 == 0 ? Detector::rms : Detector::peak, 50.0);
    }
  }
  std::vector<V> sidechain(64), reduction(64);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::uint32_t t = 0;
  double most_db = 0.0;
  for (int b = 0; b < 300; ++b) {
    const auto n = static_cast<std::uint32_t>(1 + (b * 37) % 64);
    for (std::uint32_t i = 0; i < n; ++i, ++t) {
      // Bursts of 0.5 s, each at its own level from -80 to 0 dBFS.
      const double level = std::pow(10.0, -4.0 * ((t / 24000 * 7) % 10) / 10.0);
      for (int k = 0; k < simd::kLanes<V>; ++k) {
        sidechain[i][k] = static_cast<simd::lane_t<V>>(level * u(rng) * (1.0 + 0.1 * k));
      }
    }
    by_block.process_block(sidechain.data(), reduction.data(), n);
    for (std::uint32_t i = 0; i < n; ++i) {
      const V want = by_frame.process(sidechain[i]);
      for (int k = 0; k < simd::kLanes<V>; ++k) {
        ASSERT_EQ(reduction[i][k], want[k]) << "block " << b << " frame " << i << " lane " << k;
        most_db = std::max(most_db, static_cast<double>(want[k]));
      }
    }
  }
  // The material reached deep into the curve.
  EXPECT_GT(most_db, 10.0);
}

TEST(DynamicsMath, BlockFormIsTheFrameFormExactly) {
  expect_block_equals_frames<simd::f64x2>();
  expect_block_equals_frames<simd::f32x8>();
}

}  // namespace
}  // namespace lacquer::dsp
