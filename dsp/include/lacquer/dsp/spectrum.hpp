#pragma once
// Spectrum analysis off the audio thread. The audio thread pushes the mono mix of a
// measuring point into a wait-free ring; a non-real-time thread calls update(), which
// drains the ring, runs a Hann-windowed FFT (fftw3) every half frame, and keeps an
// exponentially smoothed power spectrum, per bin and in third-octave bands.
//
// Levels are in dB relative to a full-scale sine: a sine of amplitude A centred on a bin
// reads 20 log10(A) in that bin, and in its third-octave band (the band sums the power
// of the bins it covers and removes the Hann window's 1.5-bin noise bandwidth).

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "lacquer/dsp/spsc_ring.hpp"

namespace lacquer::dsp {

class SpectrumAnalyzer {
 public:
  static constexpr std::size_t kDefaultFftSize = 4096;
  static constexpr double kDefaultSmoothingMs = 300.0;

  /// Allocates the ring (`ring_frames`, rounded up to a power of two) and plans the FFT
  /// (`fft_size`, a power of two >= 256). Not real-time; FFTW planning is not
  /// thread-safe, so construct analysers from one thread at a time.
  explicit SpectrumAnalyzer(double sample_rate, std::size_t fft_size = kDefaultFftSize,
                            double smoothing_ms = kDefaultSmoothingMs,
                            std::size_t ring_frames = 1u << 15);
  ~SpectrumAnalyzer();
  SpectrumAnalyzer(const SpectrumAnalyzer&) = delete;
  SpectrumAnalyzer& operator=(const SpectrumAnalyzer&) = delete;

  /// Audio thread: queues (left + right) / 2 of n frames. Frames that do not fit (the
  /// analysis thread fell behind) are dropped and counted.
  void push(const double* left, const double* right, std::uint32_t n) noexcept;
  /// Frames dropped by push() so far.
  std::uint64_t dropped_frames() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  /// Analysis thread: consumes what the ring holds; true when at least one new FFT frame
  /// was analysed.
  bool update();

  /// Smoothed level per bin k = 0 .. fft_size / 2 (dB re full-scale sine).
  std::span<const double> bins_db() const noexcept { return bins_db_; }
  /// Centre frequency of bin k.
  double bin_hz(std::size_t k) const noexcept { return static_cast<double>(k) * bin_width_hz_; }
  /// Third-octave bands with base-10 centres 1000 * 10^(k/10) from 25 Hz up to the one
  /// below Nyquist (20 kHz at 44.1 kHz and above): centres and smoothed levels (dB).
  std::span<const double> band_centres_hz() const noexcept { return band_centres_hz_; }
  std::span<const double> bands_db() const noexcept { return bands_db_; }
  /// FFT frames analysed since construction.
  std::uint64_t frames_analysed() const noexcept { return frames_; }

 private:
  void analyse();

  std::size_t fft_size_;
  double bin_width_hz_;
  double smoothing_coef_;  // weight of each new frame in the running average
  SpscRing<float> ring_;
  std::atomic<std::uint64_t> dropped_{0};

  // Analysis-thread state.
  std::vector<float> drained_;   // scratch for ring reads
  std::vector<double> fifo_;     // the last fft_size samples, oldest first
  std::size_t fill_ = 0;         // valid samples in fifo_
  std::vector<double> window_;   // Hann
  double* fft_in_ = nullptr;     // fftw_malloc'ed, fft_size
  void* fft_out_ = nullptr;      // fftw_complex[fft_size / 2 + 1]
  void* plan_ = nullptr;         // fftw_plan
  std::vector<double> power_;    // smoothed power per bin, amplitude^2 units
  std::vector<double> bins_db_;
  std::vector<double> band_centres_hz_;
  std::vector<double> band_lo_hz_, band_hi_hz_;
  std::vector<double> bands_db_;
  std::uint64_t frames_ = 0;
};

}  // namespace lacquer::dsp
