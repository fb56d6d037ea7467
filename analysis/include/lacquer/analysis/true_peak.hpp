#pragma once
// True peak of whole signals held in memory (offline analysis), after ITU-R BS.1770-4
// Annex 2, with the interpolator of libebur128 (the meter most loudness tools are built
// on): a 49-tap Hann-windowed sinc at 4x below 96 kHz, 2x below 192 kHz, none above.
// Vectorised across time in single precision (eight instants per step), so a whole
// channel costs a few nanoseconds per sample; a float's 1e-7 is far below what a true-peak
// reading resolves.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace lacquer::analysis {

class TruePeakScanner {
 public:
  /// Samples a signal must be readable beyond both ends of a scanned range.
  static constexpr std::size_t kPad = 16;

  explicit TruePeakScanner(double sample_rate);

  /// Oversampling factor (4, 2 or 1).
  int factor() const noexcept { return factor_; }

  /// Largest magnitude of the samples x[n] and the interpolated instants n + f / factor,
  /// for n in [begin, end). x must be readable from begin - kPad to end + kPad.
  float max_abs(const float* x, std::size_t begin, std::size_t end) const noexcept;

  /// Calls fn(n, f, value) for every interpolated instant n + f / factor (f >= 1) in
  /// [begin, end) whose magnitude exceeds `level`.
  template <class Fn>
  void for_each_inter_sample_over(const float* x, std::size_t begin, std::size_t end, float level,
                                  Fn&& fn) const {
    for (std::size_t n = begin; n < end; ++n) {
      for (int f = 1; f < factor_; ++f) {
        const float y = interpolate(x, n, f);
        if (y > level || -y > level) fn(n, f, y);
      }
    }
  }

  /// The interpolated value at instant n + f / factor (1 <= f < factor).
  float interpolate(const float* x, std::size_t n, int f) const noexcept;

 private:
  int factor_ = 4;
  int taps_ = 12;   // per phase: 48 / factor
  int lead_ = 6;    // phase sums start at x[n + lead_]: 24 / factor
  // coef_[f - 1][t]: weight of x[n + lead_ - t] for the instant n + f / factor.
  std::array<std::array<float, 24>, 3> coef_{};
};

/// A true-peak reading of a stream that arrives in pieces (a decoder's output, a render's
/// input): per channel, the largest magnitude, and counts of values over full scale on the
/// samples and between them (as Apple's afclip counts them).
class StreamingTruePeak {
 public:
  StreamingTruePeak(double sample_rate, int channels);

  /// Adds n interleaved frames.
  void push(const float* interleaved, std::size_t n);
  /// Scans what is still held (the stream has ended).
  void finish();

  /// Largest magnitude per channel (linear).
  const std::vector<float>& peak() const noexcept { return peak_; }
  float max_peak() const noexcept;
  std::uint64_t overs_on_sample() const noexcept { return overs_on_; }
  std::uint64_t overs_inter_sample() const noexcept { return overs_inter_; }

 private:
  void scan(std::size_t end);

  TruePeakScanner scanner_;
  int channels_;
  // Per channel: kPad samples of history, then samples not yet scanned.
  std::vector<std::vector<float>> buf_;
  std::size_t fill_ = TruePeakScanner::kPad;  // frames held (history included)
  std::vector<float> peak_;
  std::uint64_t overs_on_ = 0;
  std::uint64_t overs_inter_ = 0;
};

}  // namespace lacquer::analysis
