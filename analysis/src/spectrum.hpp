#pragma once
// Long-term third-octave spectrum (fftw3): Hann-windowed frames of about 1/3 s (so the
// 25 Hz band spans bins), without overlap, their power averaged over the whole signal.

#include <cstddef>
#include <vector>

#include "lacquer/analysis/report.hpp"

namespace lacquer::analysis::detail {

class LongTermSpectrum {
 public:
  explicit LongTermSpectrum(double sample_rate);
  ~LongTermSpectrum();
  LongTermSpectrum(const LongTermSpectrum&) = delete;
  LongTermSpectrum& operator=(const LongTermSpectrum&) = delete;

  void push(const float* mono, std::size_t n);
  /// Analyses a last partial frame (zero-padded) when no whole frame was seen.
  void finish();
  Spectrum result() const;

 private:
  void analyse();

  double sample_rate_;
  std::size_t size_;
  std::vector<double> window_;
  std::vector<double> power_;  // summed |X_k|^2, k = 0 .. size / 2
  std::size_t frames_ = 0;     // FFT frames summed
  std::size_t fill_ = 0;
  double window_power_ = 0.0;  // sum of window^2
  double* in_ = nullptr;       // fftw_malloc'ed
  void* out_ = nullptr;        // fftw_complex[size / 2 + 1]
  void* plan_ = nullptr;
};

}  // namespace lacquer::analysis::detail
