#pragma once
// Lookahead true-peak limiter (chain stage 6). Stereo-linked: one gain for both channels.
//
// Detection: both channels run through a 4x oversampling StereoTruePeakDetector, so the peak of
// the band-limited signal between samples is seen, not only the sample values. For every
// input sample p the gain the output needs there is r[p] = min(1, ceiling / peak[p]).
//
// Gain envelope, in order, on the gain reduction in dB (20 log10 of peak / ceiling, >= 0):
//   1. hold: a sliding maximum of the reduction over a window that covers the attack ramp,
//      the interpolation filter's reach on both sides of a peak (so the gain is already at
//      its target over every sample a meter's interpolator combines around that peak) and
//      the hold time;
//   2. release: the reduction decays exponentially towards 0 dB with the release time
//      constant, and never falls below what the hold asks for;
//   3. attack: the linear gain through two cascaded moving averages whose combined length is
//      the lookahead, which turn every step into an S-shaped ramp that finishes before the
//      peak arrives.
// Each step only lowers or averages values that are all <= r[p] around peak p, so the
// gain applied to every sample near p is <= r[p]: the output's true peak stays at or
// below the ceiling, measured with any BS.1770 interpolator of similar reach. A hold of
// at least half a period keeps the gain steady over a low-frequency cycle, which is what
// keeps low-frequency distortion down.
//
// Latency is fixed at prepare() (it does not follow lookahead_ms, so changing the attack
// never moves the audio in time): latency_frames() = detector delay + maximum lookahead +
// interpolator reach - 1, 263 frames at 48 kHz.

#include <array>
#include <cstdint>
#include <vector>

#include "lacquer/dsp/smoother.hpp"
#include "lacquer/dsp/true_peak.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class LimiterStage {
 public:
  /// Longest attack ramp; fixes the latency.
  static constexpr double kMaxLookaheadMs = 5.0;
  static constexpr double kMinLookaheadMs = 0.5;
  static constexpr double kMaxHoldMs = 50.0;
  static constexpr double kMinReleaseMs = 1.0;
  /// Bypass crossfade and drive/ceiling glide time.
  static constexpr double kSmoothingMs = 10.0;

  struct Params {
    bool bypass = false;
    /// Gain into the limiter (dB), applied before detection. Raising it is how a target
    /// loudness is reached.
    double drive_db = 0.0;
    /// Highest true peak of the output (dBTP, i.e. dB relative to full scale 1.0).
    double ceiling_db = 0.0;
    /// Time constant (ms) of the gain-reduction recovery: after the hold, the reduction
    /// in dB falls to 1/e of its value in release_ms.
    double release_ms = 100.0;
    /// Attack ramp length (ms), kMinLookaheadMs .. kMaxLookaheadMs.
    double lookahead_ms = 2.0;
    /// Time (ms) the gain stays down after a peak before releasing, 0 .. kMaxHoldMs.
    double hold_ms = 10.0;
    bool operator==(const Params&) const = default;
  };

  // prepare() sizes the delay lines and windows for the rate; reset() leaves silence in them
  // and no gain reduction; in set_params() drive, ceiling and bypass glide and timing changes
  // apply at once (they only reshape the envelope).
  LACQUER_PRINT_STAGE_MEMBERS;

  std::uint32_t latency_frames() const noexcept { return latency_; }
  /// Gain reduction (dB, >= 0) applied to the last output sample.
  double gain_reduction_db() const noexcept { return gr_db_; }

 private:
  // Moving average over the last `len` pushed values, kept as a running sum that is
  // recomputed from the ring every `ring.size()` pushes so rounding never accumulates.
  struct MovingAverage {
    std::vector<double> ring;  // last ring.size() inputs (power of two)
    std::uint32_t mask = 0;
    std::uint32_t write = 0;   // next slot to write
    std::uint32_t len = 1;     // window length
    std::uint32_t since_refresh = 0;
    double sum = 0.0;          // sum of the last `len` inputs
    void allocate(std::uint32_t max_len);
    void fill(double v) noexcept;
    void set_length(std::uint32_t n) noexcept;
    /// y[i] = mean of the window after pushing x[i], for i < n (x and y may be the same).
    void process(const double* x, double* y, std::uint32_t n) noexcept;
  };

  // Sliding maximum over the last `len` pushed values in the manner of van Herk and
  // Gil & Werman: the stream in blocks of `len`; the window ending at position j of the
  // current block is the previous block from j + 1 (its suffix maxima, computed when it
  // ended) and the current block up to j (a running maximum). Three operations per value and
  // no data-dependent branch. Values are >= 0 (0 is the maximum of nothing).
  struct SlidingMax {
    std::vector<double> ring;    // last ring.size() inputs (power of two)
    std::vector<double> suffix;  // suffix[k] = max of the previous block from k; suffix[len] = 0
    std::uint32_t mask = 0;
    std::uint32_t write = 0;
    std::uint32_t len = 1;
    std::uint32_t pos = 0;   // position in the current block
    double running = 0.0;    // max of the current block so far
    void allocate(std::uint32_t max_len);
    /// Forgets every value (as if zeros had been pushed for ever).
    void clear() noexcept;
    /// A new window length: the last `n` values become the previous block, so none of them
    /// is forgotten early.
    void set_length(std::uint32_t n) noexcept;
    /// x[i] = the maximum of the window after pushing x[i], for i < n.
    void process(double* x, std::uint32_t n) noexcept;
    void end_block() noexcept;
  };

  void apply_timing() noexcept;
  void process_chunk(double* left, double* right, std::uint32_t n) noexcept;

  // process() works in chunks of kChunk frames, each pass over the whole chunk: per frame
  // the ceiling, the detector's peak, then the reduction, the released reduction and the
  // gain (whole f64x4s of them).
  static constexpr std::uint32_t kChunk = 64;
  alignas(32) std::array<double, kChunk> ceiling_chunk_{};
  alignas(32) std::array<double, kChunk> envelope_{};

  double sample_rate_ = 48000.0;
  Params params_;

  StereoTruePeakDetector detector_;  // kConservative, set up for the rate in prepare()

  SlidingMax hold_;

  // Release: the released gain reduction (dB, >= 0) and its per-sample decay.
  double release_db_ = 0.0;
  double release_coef_ = 0.0;

  MovingAverage attack_[2];

  // Delay lines (power-of-two rings): the driven signal that gets the gain, and the
  // input as it came for the bypass crossfade.
  std::vector<double> wet_delay_[2];
  std::vector<double> dry_delay_[2];
  std::uint32_t delay_mask_ = 0;
  std::uint32_t delay_write_ = 0;

  std::uint32_t max_attack_ = 2;  // attack ramp length at kMaxLookaheadMs, samples
  std::uint32_t reach_ = TruePeakDetector::kTaps / 2;  // interpolator reach, samples
  std::uint32_t gain_delay_ = 0;  // samples from a peak's r to the gain for that sample
  std::uint32_t latency_ = 0;

  LinearSmoother drive_;      // linear drive gain
  LinearSmoother ceiling_gain_;
  LinearSmoother wet_mix_;    // 1 = limited, 0 = bypassed
  double gain_ = 1.0;  // gain applied to the last output sample
  double gr_db_ = 0.0;
};

static_assert(PrintStage<LimiterStage>);

}  // namespace lacquer::dsp
