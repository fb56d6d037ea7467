#pragma once
// One pass over a signal as it arrives, 10 ms at a time, collecting everything the analysis
// needs per sub-block (loudness energies, true peaks, channel sums, stereo sums, the
// waveform), per 1 ms cell (peaks and where the sound starts and stops, for silence and
// dropouts), per click cell, plus the clip runs and the spectrum. It holds about a second of
// audio, never the whole signal. What the numbers mean is decided afterwards (analyse.cpp).

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

  /// Frames in 1 ms cells below this (-60 dBFS) are silent.
  static constexpr double kSilenceDbfs = -60.0;

  /// `frames_hint` sizes the lists (the stream may turn out shorter or longer).
  SignalPass(double sample_rate, int channels, std::size_t frames_hint, int clip_run);

  /// Adds n interleaved frames and analyses every sub-block whose samples have arrived.
  void push(const float* interleaved, std::size_t n);
  /// The stream has ended: analyses the rest, closes runs in progress.
  void finish();

  /// Frames pushed so far.
  std::size_t frames() const noexcept { return frames_; }
  /// The first frame holding a non-finite sample, if any.
  std::optional<std::size_t> non_finite() const noexcept { return non_finite_; }

  /// Number of 10 ms sub-blocks (after finish()); sub-block k spans [start(k), start(k + 1)).
  std::size_t sub_blocks() const noexcept { return sub_blocks_; }
  std::size_t start(std::size_t k) const noexcept;
  /// First frame of 1 ms cell j.
  std::size_t cell_start(std::size_t j) const noexcept;

  // ---- per sub-block -------------------------------------------------------------------
  std::vector<double> k_energy;     ///< channel-weighted sum of K-weighted squares
  std::vector<float> true_peak;     ///< largest over channels
  std::vector<float> wave_min, wave_max;
  std::vector<double> lr, ll, rr;   ///< stereo only: sums of products
  std::vector<double> lr_low, ll_low, rr_low;  ///< the same below 150 Hz
  // ---- per 1 ms cell ---------------------------------------------------------------------
  static constexpr std::uint16_t kNone = 0xffff;
  struct Cell {
    float peak;                 ///< largest magnitude over channels
    std::uint16_t first_loud;   ///< offset of the first frame over kSilenceDbfs, or kNone
    std::uint16_t last_loud;    ///< offset of the last one, or kNone
  };
  std::vector<Cell> cells;
  // ---- per click cell, per channel -------------------------------------------------------
  struct ClickCell {
    float h_energy;   ///< mean square of the high-pass residual
    float x_energy;   ///< mean square of the signal
    float h_max;      ///< largest |residual|
    std::size_t at;   ///< frame of the largest, when it stands far out of the cell's mean
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
  void scan_clips(int c, std::size_t b, std::size_t e, std::size_t off);
  std::size_t start_step(std::size_t k) const noexcept;
  void compact();
  void ensure(std::size_t k);
  float* win(int c) noexcept { return win_[static_cast<std::size_t>(c)].data() + TruePeakScanner::kPad; }

  double sample_rate_;
  int channels_;
  std::size_t frames_ = 0;  // pushed so far
  // The window: per channel kPad frames of history, then frames base_ .. base_ + fill_.
  std::vector<std::vector<float>> win_;
  std::size_t window_frames_ = 0;
  std::size_t base_ = 0;
  std::size_t fill_ = 0;
  std::size_t next_ = 0;  // next sub-block to analyse
  std::optional<std::size_t> non_finite_;
  TruePeakScanner scanner_;
  std::size_t sub_blocks_ = 0;
  int clip_run_;
  float silence_level_;
  std::vector<double> weight_;  // BS.1770 channel weights
  std::vector<PairSection> k_shelf_, k_highpass_;  // per channel pair
  PairSection low_[2];          // 4th-order Butterworth low-pass at 150 Hz (stereo)
  std::optional<QuadFilter> quad_;  // stereo: K-weighting and low band together
  struct RunState {
    std::size_t start = 0, length = 0;
    float value = 0.0f;
    float entry = 0.0f;  // |step| between the two samples before the run
  };
  std::vector<RunState> run_;
  std::vector<float> mono_;     // scratch: one sub-block of the mono sum
};

}  // namespace lacquer::analysis::detail
