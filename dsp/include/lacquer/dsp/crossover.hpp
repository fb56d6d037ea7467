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
    simd::f64x2 rest = frame;
    simd::f64x4 out[kSplits];
    for (int k = 0; k < kSplits; ++k) {
      const VectorCoeffs<simd::f64x4>& c = splits_[k].pass_.current();
      const simd::f64x4 y = state_.pass_[k][0].process(c, simd::join(rest, rest));
      out[k] = state_.pass_[k][1].process(c, y);
      rest = simd::high_half(out[k]);
    }
    // Bands 1 and 2 in one vector; band 1 passes the allpass of split 2 (band 2 has an
    // identity there) and both pass that of split 3.
    simd::f64x4 low = out[0];
    if constexpr (kSplits >= 2) low = simd::join(simd::low_half(out[0]), simd::low_half(out[1]));
    for (int k = 1; k < kSplits; ++k) {
      low = state_.compensation_[k - 1].process(splits_[k].all_pass_.current(), low);
    }
    bands[0] = low;
    if constexpr (kSplits == 1) bands[1] = simd::f64x4{};
    if constexpr (kSplits == 2) bands[1] = simd::join(simd::high_half(out[1]), simd::f64x2{});
    if constexpr (kSplits == 3) bands[1] = out[2];
  }

  /// split() for `n` frames: bands0[i] and bands1[i] are bands[0] and bands[1] of frame i.
  /// With the frequencies at rest, each split runs over all frames with its state in
  /// registers; the result is the same as n calls of split().
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
    // Split k's output goes to bands0 (k = 0), bands1 (the last split) or mid_ (between).
    simd::f64x4* out[kSplits];
    out[0] = bands0;
    if constexpr (kSplits >= 2) out[kSplits - 1] = bands1;
    if constexpr (kSplits == 3) out[1] = mid_.data();
    for (int k = 0; k < kSplits; ++k) {
      const VectorCoeffs<simd::f64x4> c = splits_[k].pass_.current();
      VectorSection<simd::f64x4> first = state_.pass_[k][0];
      VectorSection<simd::f64x4> second = state_.pass_[k][1];
      simd::f64x4* to = out[k];
      if (k == 0) {
        for (std::uint32_t i = 0; i < n; ++i) {
          to[i] = second.process(c, first.process(c, simd::join(frames[i], frames[i])));
        }
      } else {
        const simd::f64x4* from = out[k - 1];
        for (std::uint32_t i = 0; i < n; ++i) {
          const simd::f64x2 rest = simd::high_half(from[i]);
          to[i] = second.process(c, first.process(c, simd::join(rest, rest)));
        }
      }
      state_.pass_[k][0] = first;
      state_.pass_[k][1] = second;
    }
    if constexpr (kSplits == 1) {
      for (std::uint32_t i = 0; i < n; ++i) bands1[i] = simd::f64x4{};
    } else {
      // Bands 1 and 2 into bands0 through the compensating allpasses; the high half of
      // the last split is what bands1 keeps.
      const VectorCoeffs<simd::f64x4> a1 = splits_[1].all_pass_.current();
      VectorSection<simd::f64x4> comp1 = state_.compensation_[0];
      const simd::f64x4* second_split = out[1];
      if constexpr (kSplits == 2) {
        for (std::uint32_t i = 0; i < n; ++i) {
          const simd::f64x4 low =
              simd::join(simd::low_half(bands0[i]), simd::low_half(second_split[i]));
          bands0[i] = comp1.process(a1, low);
          bands1[i] = simd::join(simd::high_half(second_split[i]), simd::f64x2{});
        }
      } else {
        const VectorCoeffs<simd::f64x4> a2 = splits_[2].all_pass_.current();
        VectorSection<simd::f64x4> comp2 = state_.compensation_[1];
        for (std::uint32_t i = 0; i < n; ++i) {
          const simd::f64x4 low =
              simd::join(simd::low_half(bands0[i]), simd::low_half(second_split[i]));
          bands0[i] = comp2.process(a2, comp1.process(a1, low));
        }
        state_.compensation_[1] = comp2;
      }
      state_.compensation_[0] = comp1;
    }
  }

  int bands() const noexcept { return nbands_; }

 private:
  std::array<double, kMaxSplits> sanitise(const std::array<double, kMaxSplits>& f) const noexcept;
  void design(int k, bool jump) noexcept;
  void tick() noexcept;

  // One split: its frequency glide and the coefficient ramps of its low-pass/high-pass pair
  // (lanes: low left, low right, high left, high right) and of its compensating allpass
  // (lanes: band 1 left and right, band 2 left and right; identity where a band does not
  // pass it).
  struct Split {
    FilterGlide glide_;
    VectorCoeffsRamp<simd::f64x4> pass_;
    VectorCoeffsRamp<simd::f64x4> all_pass_;
  };
  // Filter state: two cascaded sections per split, and the compensation of bands 1 and 2 at
  // splits 2 and 3.
  struct State {
    std::array<std::array<VectorSection<simd::f64x4>, 2>, kMaxSplits> pass_;
    std::array<VectorSection<simd::f64x4>, kMaxSplits - 1> compensation_;
  };

  double sample_rate_ = 48000.0;
  int nbands_ = kMaxBands;
  std::array<Split, kMaxSplits> splits_;
  std::array<double, kMaxSplits> target_hz_{};
  State state_;
  bool moving_ = false;               // a glide or a coefficient ramp is under way
  // split_block(): output of the middle split of three, for the frames of one call.
  std::array<simd::f64x4, kMaxBlockFrames> mid_;
  std::uint32_t until_redesign_ = 0;  // frames left before the glides advance again
};

}  // namespace lacquer::dsp
