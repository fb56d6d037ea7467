#pragma once
// One pass over a whole signal in memory, 10 ms at a time, collecting everything the
// analysis needs per sub-block (loudness energies, true peaks, channel sums, stereo sums,
// the waveform), per 1 ms cell (peaks, for silence and dropouts), per click cell, plus the
// clip runs and the spectrum. What the numbers mean is decided afterwards (analyse.cpp).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory>
#include <optional>
#include <cstdint>
#include <vector>

#include "lacquer/analysis/true_peak.hpp"
#include "lacquer/dsp/simd.hpp"
#include "spectrum.hpp"

namespace lacquer::analysis::detail {

/// Planar float channels with TruePeakScanner::kPad zeros before and after each.
struct PaddedSignal {
  int channels = 0;
  double sample_rate = 0.0;
  std::size_t frames = 0;
  // Left uninitialised but for the pads, and in huge pages where the kernel has them: a
  // file's worth of memory is written once, by the caller, not cleared first (clearing and
  // page faults cost more than the analysis).
  struct Free {
    void operator()(float* p) const noexcept { std::free(p); }
  };
  std::vector<std::unique_ptr<float[], Free>> data;

  PaddedSignal(int nch, double rate, std::size_t n);

  const float* channel(int c) const noexcept {
    return data[static_cast<std::size_t>(c)].get() + TruePeakScanner::kPad;
  }
  float* channel(int c) noexcept { return data[static_cast<std::size_t>(c)].get() + TruePeakScanner::kPad; }

  /// Copies n interleaved frames to frame `at` on; false at a non-finite sample.
  bool put(const float* interleaved, std::size_t at, std::size_t n) noexcept;
};

/// A run of equal full-scale or flat-topped samples on one channel.
struct ClipRun {
  int channel;
  std::size_t start;
  std::size_t length;
  bool full_scale;
};

/// A second-order section (transposed direct form II) over two channels at once.
struct PairSection {
  double b0, b1, b2, a1, a2;
  double s1[2] = {0.0, 0.0}, s2[2] = {0.0, 0.0};
};

/// K-weighting (lanes 0, 1) and the 150 Hz low-pass (lanes 2, 3) of a stereo pair in one
/// recursion: the two filters' latency chains overlap instead of running one after the other.
struct QuadFilter {
  using V = dsp::simd::f64x4;
  V b0[2], b1[2], b2[2], a1[2], a2[2];
  V s1[2] = {}, s2[2] = {};

  QuadFilter(const PairSection& k1, const PairSection& k2, const PairSection& l1, const PairSection& l2) {
    const PairSection* first[2] = {&k1, &k2};
    const PairSection* second[2] = {&l1, &l2};
    for (int i = 0; i < 2; ++i) {
      const PairSection& k = *first[i];
      const PairSection& l = *second[i];
      b0[i] = V{k.b0, k.b0, l.b0, l.b0};
      b1[i] = V{k.b1, k.b1, l.b1, l.b1};
      b2[i] = V{k.b2, k.b2, l.b2, l.b2};
      a1[i] = V{k.a1, k.a1, l.a1, l.a1};
      a2[i] = V{k.a2, k.a2, l.a2, l.a2};
    }
  }

  /// Over frames [b, e): sums of squares of each lane, and of the low band's L * R.
  void run(const float* l, const float* r, std::size_t b, std::size_t e, V& squares, double& cross) {
    V p1 = s1[0], p2 = s2[0], q1 = s1[1], q2 = s2[1];
    V acc{};
    V lr{};
    for (std::size_t n = b; n < e; ++n) {
      const V x = {l[n], r[n], l[n], r[n]};
      const V y = b0[0] * x + p1;
      p1 = b1[0] * x - a1[0] * y + p2;
      p2 = b2[0] * x - a2[0] * y;
      const V z = b0[1] * y + q1;
      q1 = b1[1] * y - a1[1] * z + q2;
      q2 = b2[1] * y - a2[1] * z;
      acc += z * z;
      lr += z * __builtin_shufflevector(z, z, 1, 0, 3, 2);
    }
    s1[0] = p1, s2[0] = p2, s1[1] = q1, s2[1] = q2;
    squares = acc;
    cross = lr[2];
  }
};

class SignalPass {
 public:
  static constexpr int kCellsPerSubBlock = 10;      // 1 ms cells for silence and dropouts
  static constexpr int kClickCellsPerSubBlock = 5;  // 2 ms cells for the click detector

  SignalPass(const PaddedSignal& signal, int clip_run);

  /// Number of 10 ms sub-blocks; sub-block k spans frames [start(k), start(k + 1)).
  std::size_t sub_blocks() const noexcept { return sub_blocks_; }
  std::size_t start(std::size_t k) const noexcept;
  /// First frame of 1 ms cell j, for j up to cells().
  std::size_t cell_start(std::size_t j) const noexcept;
  std::size_t cells() const noexcept { return cell_peak.size(); }

  /// Runs sub-blocks [from, to).
  void run(std::size_t from, std::size_t to);
  /// Ends the pass (clip runs in progress, the spectrum's last frame).
  void finish();

  // ---- per sub-block -------------------------------------------------------------------
  std::vector<double> k_energy;     ///< channel-weighted sum of K-weighted squares
  std::vector<float> true_peak;     ///< largest over channels
  std::vector<float> wave_min, wave_max;
  std::vector<double> lr, ll, rr;   ///< stereo only: sums of products
  std::vector<double> lr_low, ll_low, rr_low;  ///< the same below 150 Hz
  // ---- per 1 ms cell ---------------------------------------------------------------------
  std::vector<float> cell_peak;     ///< largest magnitude over channels
  // ---- per click cell, per channel -------------------------------------------------------
  struct ClickCell {
    float h_energy;   ///< mean square of the high-pass residual
    float x_energy;   ///< mean square of the signal
    float h_max;      ///< largest |residual|
    std::uint32_t at; ///< its frame
  };
  std::vector<std::vector<ClickCell>> click_cells;
  std::size_t click_cell_start(std::size_t j) const noexcept;
  // ---- per channel -------------------------------------------------------------------------
  std::vector<double> sum, sum_sq;
  std::vector<float> sample_peak, channel_true_peak;
  // ---- lists -------------------------------------------------------------------------------
  std::vector<ClipRun> clip_runs;
  /// Frames (and channels) of instants between samples over full scale where neither
  /// neighbouring sample is; one per sub-block and channel at most.
  std::vector<std::pair<std::size_t, int>> inter_sample_overs;

  LongTermSpectrum spectrum;

 private:
  void sub_block(std::size_t k);
  void scan_clips(int c, std::size_t b, std::size_t e);

  const PaddedSignal& s_;
  TruePeakScanner scanner_;
  std::size_t sub_blocks_ = 0;
  int clip_run_;
  std::vector<double> weight_;  // BS.1770 channel weights
  std::vector<PairSection> k_shelf_, k_highpass_;  // per channel pair
  PairSection low_[2];          // 4th-order Butterworth low-pass at 150 Hz (stereo)
  std::optional<QuadFilter> quad_;  // stereo: K-weighting and low band together
  struct RunState {
    std::size_t start = 0, length = 0;
    float value = 0.0f;
  };
  std::vector<RunState> run_;
  std::vector<float> mono_;     // scratch: one sub-block of the mono sum
};

}  // namespace lacquer::analysis::detail
