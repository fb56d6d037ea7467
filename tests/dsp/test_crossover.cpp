// The Linkwitz-Riley crossover measured through its bands: each band's response against the
// analytic LR4 low-pass / high-pass / allpass products, and the sum flat within 0.01 dB;
// the block form delivers exactly what the frame-by-frame form does.

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "lacquer/dsp/crossover.hpp"
#include "response_probe.hpp"

namespace lacquer::dsp {
namespace {

using test::Complex;
using test::lr4_all;
using test::lr4_high;
using test::lr4_low;

// Analytic response of band `band` of a tree crossover with splits `fc`.
Complex band_response(int band, int nbands, const std::array<double, 3>& fc, double f,
                      double fs) {
  Complex h = 1.0;
  for (int k = 0; k < band && k < nbands - 1; ++k) h *= lr4_high(f, fc[k], fs);
  if (band < nbands - 1) h *= lr4_low(f, fc[band], fs);
  for (int k = band + 1; k < nbands - 1; ++k) h *= lr4_all(f, fc[k], fs);
  return h;
}

// One frame through a crossover of x.bands() bands: the bands' (left, right) pairs in order.
std::array<simd::f64x2, Crossover::kMaxBands> split(Crossover& x, double left, double right) {
  simd::f64x4 v[2];
  const simd::f64x2 frame{left, right};
  switch (x.bands()) {
    case 2: x.split<1>(frame, v); break;
    case 3: x.split<2>(frame, v); break;
    default: x.split<3>(frame, v); break;
  }
  return {simd::low_half(v[0]), simd::high_half(v[0]), simd::low_half(v[1]),
          simd::high_half(v[1])};
}

// Impulse responses of every band, from the left channel; the right channel gets half the
// impulse, and every band of it must be exactly half the left (the channels do not mix, and
// scaling by a power of two rounds alike).
std::vector<std::vector<double>> band_impulses(int nbands, const std::array<double, 3>& fc,
                                               double fs, std::size_t length) {
  Crossover x;
  x.prepare(fs);
  x.reset(nbands, fc);
  std::vector<std::vector<double>> h(nbands, std::vector<double>(length));
  for (std::size_t n = 0; n < length; ++n) {
    const double impulse = n == 0 ? 1.0 : 0.0;
    const auto bands = split(x, impulse, 0.5 * impulse);
    for (int b = 0; b < Crossover::kMaxBands; ++b) {
      if (b < nbands) {
        h[b][n] = bands[b][0];
        EXPECT_EQ(bands[b][1], 0.5 * bands[b][0]) << "band " << b << " n " << n;
      } else {
        EXPECT_EQ(bands[b][0], 0.0);
        EXPECT_EQ(bands[b][1], 0.0);
      }
    }
  }
  return h;
}

TEST(Crossover, BandsMatchLinkwitzRileyAndSumFlat) {
  const std::array<double, 3> fc = {120.0, 1000.0, 6000.0};
  for (double fs : {44100.0, 48000.0, 96000.0}) {
    for (int nbands = 2; nbands <= 4; ++nbands) {
      const auto h = band_impulses(nbands, fc, fs, static_cast<std::size_t>(fs / 2));
      std::vector<double> sum(h[0].size(), 0.0);
      for (const auto& band : h) {
        for (std::size_t n = 0; n < sum.size(); ++n) sum[n] += band[n];
      }
      double worst_db = 0.0;
      // 1/12-octave grid from 20 Hz to 20 kHz.
      for (double f = 20.0; f <= 20000.0; f *= std::pow(2.0, 1.0 / 12.0)) {
        for (int b = 0; b < nbands; ++b) {
          const Complex want = band_response(b, nbands, fc, f, fs);
          const Complex got = test::dft_at(h[b], f, fs);
          EXPECT_LT(std::abs(got - want), 1e-7) << "fs " << fs << " band " << b << " f " << f;
        }
        worst_db = std::max(worst_db, std::abs(test::mag_db(test::dft_at(sum, f, fs))));
      }
      EXPECT_LT(worst_db, 0.01) << "fs " << fs << " bands " << nbands;
      std::printf("fs %.0f, %d bands: sum within %.2e dB of flat (20 Hz..20 kHz)\n", fs, nbands,
                  worst_db);
    }
  }
}

TEST(Crossover, SumStaysFlatWhileTheSplitsGlide) {
  // White noise through the crossover while the splits move: the band sum equals the input
  // passed through the three allpasses at the gliding frequencies, so its power stays that of
  // the input (within 0.01 dB over 1 s).
  const double fs = 48000.0;
  Crossover x;
  x.prepare(fs);
  x.reset(4, {100.0, 800.0, 5000.0});
  std::uint32_t seed = 7;
  double in_power = 0.0, out_power = 0.0;
  for (int n = 0; n < 48000; ++n) {
    if (n == 4800) x.set_freqs({300.0, 2000.0, 9000.0});
    seed = seed * 1664525u + 1013904223u;
    const double v = static_cast<double>(seed) / 4294967296.0 - 0.5;
    const auto bands = split(x, v, 0.0);
    const double s = bands[0][0] + bands[1][0] + bands[2][0] + bands[3][0];
    in_power += v * v;
    out_power += s * s;
  }
  EXPECT_NEAR(10.0 * std::log10(out_power / in_power), 0.0, 0.01);
}

template <int kSplits>
void expect_block_equals_frames() {
  Crossover by_frame, by_block;
  const std::array<double, 3> fc = {150.0, 1200.0, 7000.0};
  for (Crossover* x : {&by_frame, &by_block}) {
    x->prepare(48000.0);
    x->reset(kSplits + 1, fc);
  }
  std::vector<simd::f64x2> frames(Crossover::kMaxBlockFrames);
  std::vector<simd::f64x4> block0(frames.size()), block1(frames.size());
  std::uint32_t t = 0;
  for (int b = 0; b < 200; ++b) {
    // Blocks at rest and blocks during a glide (which the block form runs frame by frame).
    if (b == 60) {
      for (Crossover* x : {&by_frame, &by_block}) x->set_freqs({400.0, 3000.0, 11000.0});
    }
    const auto n = static_cast<std::uint32_t>(1 + (b * 37) % frames.size());
    for (std::uint32_t i = 0; i < n; ++i, ++t) {
      frames[i] = simd::f64x2{std::sin(0.013 * t) + 0.3 * std::sin(0.9 * t), std::cos(0.051 * t)};
    }
    by_block.split_block<kSplits>(frames.data(), block0.data(), block1.data(), n);
    for (std::uint32_t i = 0; i < n; ++i) {
      simd::f64x4 v[2];
      by_frame.split<kSplits>(frames[i], v);
      for (int k = 0; k < 4; ++k) {
        ASSERT_EQ(block0[i][k], v[0][k]) << "block " << b << " frame " << i;
        ASSERT_EQ(block1[i][k], v[1][k]) << "block " << b << " frame " << i;
      }
    }
  }
}

TEST(Crossover, BlockFormIsTheFrameFormExactly) {
  expect_block_equals_frames<1>();
  expect_block_equals_frames<2>();
  expect_block_equals_frames<3>();
}

}  // namespace
}  // namespace lacquer::dsp
