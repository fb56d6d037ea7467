#include "lacquer/dsp/spectrum.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>


namespace lacquer::dsp {

namespace {

// Noise bandwidth of the Hann window in bins: a sine's power spreads over bins summing
// to 1.5 times its peak-bin power.
constexpr double kHannEnbw = 1.5;

double power_db(double p) noexcept { return p > 0.0 ? 10.0 * std::log10(p) : -HUGE_VAL; }

}  // namespace

SpectrumAnalyzer::SpectrumAnalyzer(double sample_rate, std::size_t fft_size, double smoothing_ms,
                                   std::size_t ring_frames)
    : fft_size_(fft_size),
      bin_width_hz_(sample_rate / static_cast<double>(fft_size)),
      ring_(ring_frames) {
  if (fft_size < 256 || (fft_size & (fft_size - 1)) != 0) {
    throw std::invalid_argument("spectrum FFT size must be a power of two >= 256");
  }
  const double hop_s = static_cast<double>(fft_size / 2) / sample_rate;
  smoothing_coef_ = 1.0 - std::exp(-hop_s / (smoothing_ms * 1e-3));

  drained_.resize(ring_.capacity());
  fifo_.assign(fft_size, 0.0);
  window_.resize(fft_size);
  for (std::size_t i = 0; i < fft_size; ++i) {
    window_[i] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                                      static_cast<double>(fft_size));
  }
  fft_in_ = fftw_alloc_real(fft_size);
  auto* out = fftw_alloc_complex(fft_size / 2 + 1);
  fft_out_ = out;
  plan_ = fftw_plan_dft_r2c_1d(static_cast<int>(fft_size), fft_in_, out, FFTW_ESTIMATE);
  if (fft_in_ == nullptr || out == nullptr || plan_ == nullptr) {
    throw std::runtime_error("spectrum: FFTW allocation failed");
  }

  power_.assign(fft_size / 2 + 1, 0.0);
  bins_db_.assign(fft_size / 2 + 1, -INFINITY);
  for (int k = -16;; ++k) {
    const double centre = 1000.0 * std::pow(10.0, k / 10.0);
    const double hi = centre * std::pow(10.0, 0.05);
    if (hi > sample_rate / 2.0) break;
    band_centres_hz_.push_back(centre);
    band_lo_hz_.push_back(centre * std::pow(10.0, -0.05));
    band_hi_hz_.push_back(hi);
  }
  bands_db_.assign(band_centres_hz_.size(), -INFINITY);
}

SpectrumAnalyzer::~SpectrumAnalyzer() {
  fftw_destroy_plan(static_cast<fftw_plan>(plan_));
  fftw_free(fft_out_);
  fftw_free(fft_in_);
}

void SpectrumAnalyzer::push(const double* left, const double* right, std::uint32_t n) noexcept {
  constexpr std::uint32_t kChunk = 256;
  float mono[kChunk];
  while (n > 0) {
    const std::uint32_t m = std::min(n, kChunk);
    for (std::uint32_t i = 0; i < m; ++i) mono[i] = static_cast<float>(0.5 * (left[i] + right[i]));
    const std::size_t written = ring_.push(std::span<const float>(mono, m));
    if (written < m) dropped_.fetch_add(m - written, std::memory_order_relaxed);
    left += m;
    right += m;
    n -= m;
  }
}

bool SpectrumAnalyzer::update() {
  const std::size_t got = ring_.pop(std::span<float>(drained_));
  const std::size_t hop = fft_size_ / 2;
  bool analysed = false;
  for (std::size_t i = 0; i < got; ++i) {
    fifo_[fill_++] = drained_[i];
    if (fill_ == fft_size_) {
      analyse();
      analysed = true;
      // Half-frame overlap: keep the newer half as the start of the next frame.
      std::copy(fifo_.begin() + static_cast<std::ptrdiff_t>(hop), fifo_.end(), fifo_.begin());
      fill_ = fft_size_ - hop;
    }
  }
  return analysed;
}

void SpectrumAnalyzer::analyse() {
  for (std::size_t i = 0; i < fft_size_; ++i) fft_in_[i] = fifo_[i] * window_[i];
  fftw_execute(static_cast<fftw_plan>(plan_));
  const auto* out = static_cast<const fftw_complex*>(fft_out_);

  // A sine of amplitude A on a bin gives |X| = A * N / 4 with a Hann window (coherent
  // gain 1/2, half the energy in positive frequencies).
  const double scale = 4.0 / static_cast<double>(fft_size_);
  const double a = frames_ == 0 ? 1.0 : smoothing_coef_;
  for (std::size_t k = 0; k < power_.size(); ++k) {
    const double re = out[k][0] * scale;
    const double im = out[k][1] * scale;
    power_[k] += a * (re * re + im * im - power_[k]);
    bins_db_[k] = power_db(power_[k]);
  }
  ++frames_;

  // Each bin covers [f - w/2, f + w/2); a band takes the part of every bin it overlaps.
  const double w = bin_width_hz_;
  for (std::size_t b = 0; b < band_centres_hz_.size(); ++b) {
    const double lo = band_lo_hz_[b], hi = band_hi_hz_[b];
    const auto first = static_cast<std::size_t>(std::max(0.0, std::floor(lo / w + 0.5)));
    const auto last = std::min(power_.size() - 1, static_cast<std::size_t>(std::floor(hi / w + 0.5)));
    double sum = 0.0;
    for (std::size_t k = first; k <= last; ++k) {
      const double f = static_cast<double>(k) * w;
      const double overlap = std::min(hi, f + w / 2) - std::max(lo, f - w / 2);
      if (overlap > 0.0) sum += power_[k] * overlap / w;
    }
    bands_db_[b] = power_db(sum / kHannEnbw);
  }
}

}  // namespace lacquer::dsp
