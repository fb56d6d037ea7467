#pragma once
// Linkwitz-Riley 4th-order band splitter for up to four bands, as a tree: the input splits at
// the lowest frequency into a low band and the rest, the rest splits at the next, and so on.
// Each band below a split it did not go through passes that split's second-order allpass (LR4
// low-pass + high-pass = that allpass), so every band carries the same phase and the bands sum
// to one allpass: flat magnitude when they are summed at unity.

#include <array>
#include <cstdint>

#include "lacquer/dsp/biquad.hpp"

namespace lacquer::dsp {

class Crossover {
 public:
  static constexpr int kMaxBands = 4;
  static constexpr int kMaxSplits = kMaxBands - 1;
  /// Glide of the split frequencies.
  static constexpr double kGlideMs = 20.0;

  void prepare(double sample_rate) noexcept;

  /// Jumps to `nbands` bands (2..4) split at the first nbands - 1 of `freqs_hz` and clears the
  /// state. Frequencies are made ascending and kept below 0.45 x sample rate.
  void reset(int nbands, const std::array<double, kMaxSplits>& freqs_hz) noexcept;

  /// Glides the split frequencies (a change of band count needs reset()).
  void set_freqs(const std::array<double, kMaxSplits>& freqs_hz) noexcept;

  /// Advances the coefficient interpolation by one frame; call once per frame before split().
  void tick() noexcept;

  /// Splits one sample of channel `ch` (0 or 1) into bands[0..bands() - 1], low to high.
  void split(int ch, double x, double* bands) noexcept;

  int bands() const noexcept { return nbands_; }

 private:
  std::array<double, kMaxSplits> sanitise(const std::array<double, kMaxSplits>& f) const noexcept;
  void design(int k, bool jump) noexcept;

  // One split: its frequency glide and the coefficient ramps of its Butterworth low-pass,
  // high-pass (each run twice for LR4) and compensating allpass.
  struct Split {
    FilterGlide glide_;
    BiquadRamp low_pass_;
    BiquadRamp high_pass_;
    BiquadRamp all_pass_;
  };
  // Filter state of one channel: two cascaded sections per split for the low and the high
  // side, and allpass[band][split] for the compensation of band `band` at split `split`.
  struct ChannelState {
    std::array<std::array<BiquadState, 2>, kMaxSplits> low_;
    std::array<std::array<BiquadState, 2>, kMaxSplits> high_;
    std::array<std::array<BiquadState, kMaxSplits>, kMaxBands> all_pass_;
  };

  double sample_rate_ = 48000.0;
  int nbands_ = kMaxBands;
  std::array<Split, kMaxSplits> splits_;
  std::array<ChannelState, 2> state_;
  std::uint32_t until_redesign_ = 0;  // frames left before the glides advance again
};

}  // namespace lacquer::dsp
