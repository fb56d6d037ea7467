#include "spectrum.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numbers>

namespace lacquer::analysis::detail {

namespace {

// FFTW's planner is not thread-safe; files are analysed on several threads.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

// Nominal third-octave centres (IEC 61260) from 25 Hz; exact centres are 1000 * 10^(k/10).
constexpr double kNominal[] = {25,   31.5, 40,   50,   63,   80,    100,   125,   160,  200,
                               250,  315,  400,  500,  630,  800,   1000,  1250,  1600, 2000,
                               2500, 3150, 4000, 5000, 6300, 8000,  10000, 12500, 16000, 20000};
constexpr int kFirstBand = -16;  // 1000 * 10^(-16/10) = 25.1 Hz

}  // namespace

LongTermSpectrum::LongTermSpectrum(double sample_rate) : sample_rate_(sample_rate) {
  size_ = 4096;
  while (static_cast<double>(size_) < sample_rate / 3.0) size_ *= 2;
  window_.resize(size_);
  for (std::size_t i = 0; i < size_; ++i) {
    window_[i] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(i) /
                                      static_cast<double>(size_));
    window_power_ += window_[i] * window_[i];
  }
  power_.assign(size_ / 2 + 1, 0.0);
  std::lock_guard lock(planner_mutex());
  in_ = fftw_alloc_real(size_);
  auto* out = fftw_alloc_complex(size_ / 2 + 1);
  out_ = out;
  plan_ = fftw_plan_dft_r2c_1d(static_cast<int>(size_), in_, out, FFTW_ESTIMATE);
}

LongTermSpectrum::~LongTermSpectrum() {
  std::lock_guard lock(planner_mutex());
  fftw_destroy_plan(static_cast<fftw_plan>(plan_));
  fftw_free(in_);
  fftw_free(out_);
}

void LongTermSpectrum::push(const float* mono, std::size_t n) {
  while (n > 0) {
    const std::size_t take = std::min(n, size_ - fill_);
    for (std::size_t i = 0; i < take; ++i) in_[fill_ + i] = static_cast<double>(mono[i]) * window_[fill_ + i];
    fill_ += take;
    mono += take;
    n -= take;
    if (fill_ == size_) {
      analyse();
      fill_ = 0;
    }
  }
}

void LongTermSpectrum::finish() {
  if (frames_ > 0 || fill_ == 0) return;
  std::fill(in_ + fill_, in_ + size_, 0.0);
  analyse();
}

void LongTermSpectrum::analyse() {
  fftw_execute(static_cast<fftw_plan>(plan_));
  const auto* out = static_cast<const fftw_complex*>(out_);
  for (std::size_t k = 0; k < power_.size(); ++k) {
    power_[k] += out[k][0] * out[k][0] + out[k][1] * out[k][1];
  }
  ++frames_;
}

Spectrum LongTermSpectrum::result() const {
  Spectrum s;
  const double bin_hz = sample_rate_ / static_cast<double>(size_);
  for (int b = 0; b < static_cast<int>(std::size(kNominal)); ++b) {
    const double centre = 1000.0 * std::pow(10.0, (kFirstBand + b) / 10.0);
    if (centre >= sample_rate_ / 2.0) break;
    // The top band at 44.1 kHz reaches past Nyquist: it holds what lies below.
    const double hi = std::min(centre * std::pow(10.0, 0.05), sample_rate_ / 2.0);
    const double lo = centre / std::pow(10.0, 0.05);
    // Bins are shared between bands by the part of their width each band covers.
    double p = 0.0;
    for (std::size_t k = 1; k + 1 < power_.size(); ++k) {
      const double k_lo = (static_cast<double>(k) - 0.5) * bin_hz;
      const double k_hi = (static_cast<double>(k) + 0.5) * bin_hz;
      const double overlap = std::min(hi, k_hi) - std::max(lo, k_lo);
      if (overlap > 0.0) p += power_[k] * overlap / bin_hz;
    }
    // A sine of amplitude A puts A^2 N sum(w^2) / 4 into the one-sided bins (Parseval).
    const double mean = frames_ > 0 ? p / static_cast<double>(frames_) : 0.0;
    const double a2 = 4.0 * mean / (static_cast<double>(size_) * window_power_);
    s.bands_hz.push_back(kNominal[b]);
    s.level_db.push_back(a2 > 0.0 ? 10.0 * std::log10(a2) : -std::numeric_limits<double>::infinity());
  }
  return s;
}

}  // namespace lacquer::analysis::detail
