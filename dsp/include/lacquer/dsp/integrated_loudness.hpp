#pragma once
// BS.1770 integrated loudness of a whole stereo signal, for offline passes (the renderer
// measures every file it writes). The K-weighting (the pre-filter's high shelf and the RLB
// high-pass, from their analogue prototypes as libebur128 derives them) runs on both channels
// as one f64x2 recursion; the energy of each 100 ms block is kept, and the 400 ms gating blocks
// (75 % overlap, as libebur128 forms them from the start of the signal) are gated at the end:
// absolute at -70 LUFS, relative at -10 LU. It reads what libebur128 reads (to rounding) at a
// fraction of its cost. Not for the audio thread: the block list grows.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lacquer/dsp/simd.hpp"

namespace lacquer::dsp {

class IntegratedLoudness {
 public:
  explicit IntegratedLoudness(double sample_rate);

  /// Adds n interleaved stereo frames.
  void push(const double* interleaved, std::size_t n);
  /// Adds n planar stereo frames and writes each one's K-weighted energy (both channels
  /// summed) to `energy`.
  void push(const double* left, const double* right, std::size_t n, double* energy);
  /// Gated loudness of everything pushed (LUFS); -inf when no block passes the absolute gate
  /// (silence, or less than 400 ms).
  double lufs() const;

  /// Frames in a 100 ms block at `sample_rate`, as libebur128 rounds them.
  static std::uint32_t block_frames(double sample_rate);
  /// The gated loudness (LUFS) of a signal whose consecutive 100 ms blocks of `frames` frames
  /// each hold the K-weighted energies `blocks`.
  static double gated_lufs(const std::vector<double>& blocks, std::uint32_t frames);

 private:
  using V = simd::f64x2;
  /// The K-weighting and block sums over n frames; frame(i) gives frame i as both channels.
  template <typename Frame, typename Energy>
  void push_frames(Frame frame, std::size_t n, Energy energy);
  struct Section {
    V b0, b1, b2, a1, a2;  // normalised coefficients, the same in both lanes
    V s1, s2;              // transposed direct form II state per channel
  };
  Section shelf_{}, highpass_{};
  std::uint32_t block_frames_;  // frames in 100 ms, as libebur128 rounds them
  std::uint32_t in_block_ = 0;  // frames of the current block so far
  V sum_{};                     // its sum of K-weighted squares per channel
  std::vector<double> blocks_;  // each finished block's sum over both channels
};

}  // namespace lacquer::dsp
