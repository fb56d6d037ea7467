#pragma once
// True-peak detection in the manner of ITU-R BS.1770-4 Annex 2: the signal is interpolated
// to 4x the sample rate and the largest magnitude of the interpolated signal is the true
// peak. Shared by the limiter (its detector) and the meters (meters.hpp).

#include <array>
#include <cmath>
#include <cstdint>

#include "lacquer/dsp/simd.hpp"

namespace lacquer::dsp {

/// One channel of a 4x polyphase interpolating peak detector. Each pushed input sample
/// yields four instants of the oversampled signal: an original sample and the three
/// points a quarter, a half and three quarters of a sample after it. The original sample
/// is passed through exactly, so the reading is never below the sample peak.
///
/// The interpolation filter is a Kaiser-windowed sinc (beta 6) over 24 input samples,
/// each fractional phase normalised to unity gain at DC. Its error against ideal
/// band-limited interpolation stays within 0.015 dB up to 0.417 fs (20 kHz at 48 kHz);
/// above that it reads low, as every finite interpolator does.
///
/// Mode kConservative also evaluates the 49-tap Hann-windowed sinc interpolator of
/// libebur128 (the meter most loudness tools are built on) at the instants it uses for
/// the sample rate (4x below 96 kHz, 2x below 192 kHz, none above) and reports the larger
/// of the two readings. Short interpolators disagree with each other by
/// several tenths of a dB on wideband material near full scale (white noise, clipped
/// transients), in both directions; a limiter detecting with the larger reading keeps
/// its output under the ceiling on either meter. Meters use kAccurate.
///
/// Plain value type with no allocation: construct anywhere, push() on the audio thread.
class TruePeakDetector {
 public:
  static constexpr int kOversampling = 4;
  /// Input samples each interpolated point is computed from.
  static constexpr int kTaps = 24;
  static_assert(kTaps % 4 == 0, "push() sums the taps in four interleaved partial sums");
  /// The instants reported by push() are centred on the input sample pushed this many
  /// samples earlier.
  static constexpr std::uint32_t kDelayFrames = kTaps / 2;

  enum class Mode { kAccurate, kConservative };

  /// `sample_rate` only matters for kConservative (it picks libebur128's factor).
  explicit TruePeakDetector(Mode mode = Mode::kAccurate, double sample_rate = 48000.0) noexcept;

  /// Clears the history (as if silence had been pushed for ever).
  void reset() noexcept;

  /// Pushes input sample x[n]; returns max(|y(m)|, |y(m + 1/4)|, |y(m + 1/2)|,
  /// |y(m + 3/4)|) with m = n - kDelayFrames, y the band-limited interpolation.
  double push(double x) noexcept;

  /// Same as push(), also writing the four signed values y(m), y(m + 1/4), ... of the
  /// accurate interpolator to `out`.
  double push(double x, double out[kOversampling]) noexcept;

 private:
  friend class StereoTruePeakDetector;

  // Two interpolated instants per vector; the element-wise sums keep each instant's sum
  // in tap order, so the result is the same as scalar code, and compilers emit SIMD.
  using Pair = double __attribute__((vector_size(2 * sizeof(double))));

  // lanes_[k]: weights of history sample k (oldest first) for the instants
  // {m + 1/4, m + 1/2}, {m + 3/4, libebur128 q = 1}, {libebur128 q = 2, q = 3}.
  // The libebur128-compatible weights (kConservative only) are zero outside history
  // slots ebu_first_ .. ebu_first_ + ebu_len_; phases beyond its factor are zero too.
  alignas(16) std::array<std::array<Pair, 3>, kTaps> lanes_{};
  int ebu_first_ = 0;
  int ebu_len_ = 0;
  // Largest sum of absolute weights of any instant: no reading exceeds it times the
  // largest input magnitude in the window (StereoTruePeakDetector::push_above()).
  double gain_bound_ = 1.0;
  // The last kTaps inputs, stored twice so hist_[pos_ .. pos_ + kTaps) is always the
  // window in time order without a wrap.
  std::array<double, 2 * kTaps> hist_{};
  int pos_ = 0;  // slot of the oldest sample in the first copy
};

/// Two channels of TruePeakDetector in one: each vector holds several instants of both
/// channels, so one pass over the taps serves left and right, with the same readings.
class StereoTruePeakDetector {
 public:
  explicit StereoTruePeakDetector(TruePeakDetector::Mode mode = TruePeakDetector::Mode::kAccurate,
                                  double sample_rate = 48000.0) noexcept;

  void reset() noexcept;

  /// Each channel's TruePeakDetector::push() reading, as (left, right).
  simd::f64x2 push_each(double left, double right) noexcept;

  /// max of both channels' TruePeakDetector::push() readings.
  double push(double left, double right) noexcept {
    const simd::f64x2 each = push_each(left, right);
    return each[0] > each[1] ? each[0] : each[1];
  }

  /// Same reading as push() when it may exceed `level` (> 0); 0 when every input of both
  /// channels in the interpolators' reach is so small that no reading can exceed `level`,
  /// which is then known without interpolating. For a caller that only acts on readings
  /// above a level (the limiter's ceiling, the render's running peak).
  double push_above(double left, double right, double level) noexcept {
    // Every reading is at most gain_bound_ times the largest input magnitude in the window,
    // so once the last kTaps frames were all quiet against this level, none can exceed it.
    // A new level restarts the count: inputs judged against another level prove nothing.
    if (level != quiet_level_) {
      quiet_level_ = level;
      loud_left_ = kTaps;
    }
    if (std::fabs(left) * gain_bound_ > level || std::fabs(right) * gain_bound_ > level) {
      loud_left_ = kTaps;
    }
    if (loud_left_ == 0) {
      store(left, right);
      return 0.0;
    }
    --loud_left_;
    return push(left, right);
  }

 private:
  static constexpr int kTaps = TruePeakDetector::kTaps;

  void store(double left, double right) noexcept {
    const simd::f64x4 v = {left, left, right, right};
    hist_[pos_] = v;
    hist_[pos_ + kTaps] = v;
    pos_ = pos_ + 1 == kTaps ? 0 : pos_ + 1;
  }

  // lanes_[k]: TruePeakDetector's weights of history sample k for its first two pairs of
  // instants, each pair for (left, left, right, right); ebu_lanes_[j] its third pair's
  // weights of history samples k and k + 1, k = ebu_first_ + 2 j.
  std::array<simd::f64x8, kTaps> lanes_{};
  std::array<simd::f64x8, kTaps / 2> ebu_lanes_{};
  int ebu_first_ = 0;
  int ebu_len_ = 0;
  double gain_bound_ = 1.0;
  // push_above(): pushes left before the window holds only frames judged quiet against
  // the current level (0 = all quiet), and that level.
  int loud_left_ = kTaps;
  double quiet_level_ = 0.0;
  // The last kTaps frames as (left, left, right, right), stored twice as in
  // TruePeakDetector.
  std::array<simd::f64x4, 2 * kTaps> hist_{};
  int pos_ = 0;
};

}  // namespace lacquer::dsp
