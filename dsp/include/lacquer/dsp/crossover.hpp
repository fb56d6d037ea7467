#pragma once
// Linkwitz-Riley 4th-order band splitter for up to four bands, as a tree: the input splits at
// the lowest frequency into a low band and the rest, the rest splits at the next, and so on.
// Each band below a split it did not go through passes that split's second-order allpass (LR4
// low-pass + high-pass = that allpass), so every band carries the same phase and the bands sum
// to one allpass: flat magnitude when they are summed at unity.
//
// A split's Butterworth low-pass and high-pass share their poles, so both, for both channels,
// run as one f64x4 section (low left, low right, high left, high right), twice for LR4.

#include <array>
#include <cstdint>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/simd.hpp"
#include "lacquer/dsp/vector_section.hpp"

namespace lacquer::dsp {

class Crossover {
 public:
  static constexpr int kMaxBands = 4;
  static constexpr int kMaxSplits = kMaxBands - 1;
  /// Glide of the split frequencies.
  static constexpr double kGlideMs = 20.0;
  /// Most frames of one split_block() call.
  static constexpr std::uint32_t kMaxBlockFrames = 64;

  void prepare(double sample_rate) noexcept;

  /// Jumps to `nbands` bands (2..4) split at the first nbands - 1 of `freqs_hz` and clears the
  /// state. Frequencies are made ascending and kept below 0.45 x sample rate.
  void reset(int nbands, const std::array<double, kMaxSplits>& freqs_hz) noexcept;

  /// Glides the split frequencies (a change of band count needs reset()).
  void set_freqs(const std::array<double, kMaxSplits>& freqs_hz) noexcept;

  /// Splits one frame (left, right) into the bands: bands[0] holds (band 1 left, band 1
  /// right, band 2 left, band 2 right), bands[1] bands 3 and 4; lanes of bands beyond
  /// bands() are 0. kSplits must be bands() - 1 (a template so that the tree unrolls).
  template <int kSplits>
  void split(simd::f64x2 frame, simd::f64x4 (&bands)[2]) noexcept {
    static_assert(kSplits >= 1 && kSplits <= kMaxSplits);
    if (moving_) tick();
    split_frame<kSplits>(frame, live_coeffs(), state_, bands[0], bands[1]);
  }

  /// split() for `n` frames: bands0[i] and bands1[i] are bands[0] and bands[1] of frame i.
  /// With the frequencies at rest, coefficients and state are kept in locals for the whole
  /// block, so that the sections' recursions overlap (four bands with 512-bit registers: two
  /// sections per instruction, each a frame or two behind the other); the result is the same
  /// as n calls of split().
  template <int kSplits>
  void split_block(const simd::f64x2* frames, simd::f64x4* bands0, simd::f64x4* bands1,
                   std::uint32_t n) noexcept {
    if (moving_) {
      for (std::uint32_t i = 0; i < n; ++i) {
        simd::f64x4 bands[2];
        split<kSplits>(frames[i], bands);
        bands0[i] = bands[0];
        bands1[i] = bands[1];
      }
      return;
    }
    if constexpr (kSplits == 3 && simd::kWideRegisters) {
      split_block_four_bands(frames, bands0, bands1, n);
      return;
    }
    const Coeffs coeffs = live_coeffs();
    State state = state_;
    for (std::uint32_t i = 0; i < n; ++i) {
      split_frame<kSplits>(frames[i], coeffs, state, bands0[i], bands1[i]);
    }
    state_ = state;
  }

  int bands() const noexcept { return nbands_; }

 private:
  std::array<double, kMaxSplits> sanitise(const std::array<double, kMaxSplits>& f) const noexcept;
  void design(int k, bool jump) noexcept;
  void tick() noexcept;
  // split_block<3>() at rest, its eight sections as four f64x8 pairs.
  void split_block_four_bands(const simd::f64x2* frames, simd::f64x4* bands0, simd::f64x4* bands1,
                              std::uint32_t n) noexcept;

  // One split: its frequency glide and the coefficient ramps of its low-pass/high-pass pair
  // (lanes: low left, low right, high left, high right) and of its compensating allpass
  // (lanes: band 1 left and right, band 2 left and right; identity where a band does not
  // pass it).
  struct Split {
    FilterGlide glide_;
    VectorCoeffsRamp<simd::f64x4> pass_;
    VectorCoeffsRamp<simd::f64x4> all_pass_;
  };
  // Current coefficients of each split's low-pass/high-pass pair and compensating allpass.
  struct Coeffs {
    std::array<VectorCoeffs<simd::f64x4>, kMaxSplits> pass;
    std::array<VectorCoeffs<simd::f64x4>, kMaxSplits> all_pass;
  };
  // Filter state: two cascaded sections per split, and the compensation of bands 1 and 2 at
  // splits 2 and 3.
  struct State {
    std::array<std::array<VectorSection<simd::f64x4>, 2>, kMaxSplits> pass;
    std::array<VectorSection<simd::f64x4>, kMaxSplits - 1> compensation;
  };

  Coeffs live_coeffs() const noexcept {
    Coeffs c;
    for (int k = 0; k < kMaxSplits; ++k) {
      c.pass[k] = splits_[k].pass_.current();
      c.all_pass[k] = splits_[k].all_pass_.current();
    }
    return c;
  }

  template <int kSplits>
  static void split_frame(simd::f64x2 frame, const Coeffs& c, State& s, simd::f64x4& bands0,
                          simd::f64x4& bands1) noexcept {
    simd::f64x2 rest = frame;
    simd::f64x4 out[kSplits];
#pragma GCC unroll 3
    for (int k = 0; k < kSplits; ++k) {
      const simd::f64x4 y = s.pass[k][0].process(c.pass[k], simd::join(rest, rest));
      out[k] = s.pass[k][1].process(c.pass[k], y);
      rest = simd::high_half(out[k]);
    }
    // Bands 1 and 2 in one vector; band 1 passes the allpass of split 2 (band 2 has an
    // identity there) and both pass that of split 3.
    simd::f64x4 low = out[0];
    if constexpr (kSplits >= 2) low = simd::join(simd::low_half(out[0]), simd::low_half(out[1]));
#pragma GCC unroll 2
    for (int k = 1; k < kSplits; ++k) low = s.compensation[k - 1].process(c.all_pass[k], low);
    bands0 = low;
    if constexpr (kSplits == 1) bands1 = simd::f64x4{};
    if constexpr (kSplits == 2) bands1 = simd::join(simd::high_half(out[1]), simd::f64x2{});
    if constexpr (kSplits == 3) bands1 = out[2];
  }

  double sample_rate_ = 48000.0;
  int nbands_ = kMaxBands;
  std::array<Split, kMaxSplits> splits_;
  std::array<double, kMaxSplits> target_hz_{};
  State state_;
  bool moving_ = false;               // a glide or a coefficient ramp is under way
  std::uint32_t until_redesign_ = 0;  // frames left before the glides advance again
};

}  // namespace lacquer::dsp
