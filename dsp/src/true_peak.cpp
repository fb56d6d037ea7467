#include "lacquer/dsp/true_peak.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lacquer::dsp {

namespace {

constexpr double kKaiserBeta = 6.0;

// Modified Bessel function of the first kind, order 0 (power series; converges fast for
// the arguments a Kaiser window uses).
double bessel_i0(double x) noexcept {
  double sum = 1.0;
  double term = 1.0;
  for (int k = 1; k < 50; ++k) {
    term *= (x / 2.0) / k;
    sum += term * term;
    if (term * term < sum * 1e-17) break;
  }
  return sum;
}

}  // namespace

TruePeakDetector::TruePeakDetector(Mode mode, double sample_rate) noexcept {
  constexpr int half = kTaps / 2;
  const double norm = bessel_i0(kKaiserBeta);
  for (int p = 0; p < kOversampling - 1; ++p) {
    const double frac = (p + 1) / static_cast<double>(kOversampling);
    double sum = 0.0;
    for (int k = 0; k < kTaps; ++k) {
      // History slot k holds input sample m + (k - half + 1); t is its distance from the
      // instant being interpolated.
      const double t = (k - half + 1) - frac;
      const double x = std::numbers::pi * t;
      const double sinc = std::sin(x) / x;
      const double u = t / half;
      const double window = bessel_i0(kKaiserBeta * std::sqrt(1.0 - u * u)) / norm;
      coef_[p][k] = sinc * window;
      sum += coef_[p][k];
    }
    // Unity gain at DC for every phase, so a constant signal reads exactly its value.
    for (double& c : coef_[p]) c /= sum;

  }
  if (mode == Mode::kConservative && sample_rate < 192000.0) {
    // libebur128's prototype: 49 taps at `factor` x, c[j] = sinc((j - 24) / factor) *
    // hann(j), not normalised. For the instant m + q / factor, tap j weighs input m + d
    // with j = 24 - factor * d + q.
    const int factor = sample_rate < 96000.0 ? 4 : 2;
    ebu_phases_ = factor - 1;
    ebu_len_ = 48 / factor;
    ebu_first_ = half - 1 - (24 / factor - 1);
    for (int q = 1; q < factor; ++q) {
      for (int k = 0; k < ebu_len_; ++k) {
        const int d = k - (24 / factor - 1);
        const int j = 24 - factor * d + q;
        const double arg = std::numbers::pi * (j - 24) / factor;
        const double hann = 0.5 * (1.0 - std::cos(2.0 * std::numbers::pi * j / 48.0));
        ebu_coef_[q - 1][k] = std::sin(arg) / arg * hann;
      }
    }
  }
  reset();
}

void TruePeakDetector::reset() noexcept {
  hist_.fill(0.0);
  pos_ = 0;
}

double TruePeakDetector::push(double x) noexcept {
  double unused[kOversampling];
  return push(x, unused);
}

double TruePeakDetector::push(double x, double out[kOversampling]) noexcept {
  hist_[pos_] = x;
  hist_[pos_ + kTaps] = x;
  pos_ = pos_ + 1 == kTaps ? 0 : pos_ + 1;
  const double* w = hist_.data() + pos_;  // oldest first

  // The three fractional phases accumulate side by side: three independent sums keep
  // the FPU busy where one long dependency chain would stall it.
  static_assert(kOversampling == 4);
  double a1 = 0.0, a2 = 0.0, a3 = 0.0;
  for (int k = 0; k < kTaps; ++k) {
    const double v = w[k];
    a1 += coef_[0][k] * v;
    a2 += coef_[1][k] * v;
    a3 += coef_[2][k] * v;
  }
  out[0] = w[kTaps / 2 - 1];
  out[1] = a1;
  out[2] = a2;
  out[3] = a3;
  double peak = std::max({std::fabs(out[0]), std::fabs(a1), std::fabs(a2), std::fabs(a3)});
  if (ebu_phases_ > 0) {
    // Phases beyond ebu_phases_ have zero coefficients and read 0.
    double e1 = 0.0, e2 = 0.0, e3 = 0.0;
    const double* we = w + ebu_first_;
    for (int k = 0; k < ebu_len_; ++k) {
      const double v = we[k];
      e1 += ebu_coef_[0][k] * v;
      e2 += ebu_coef_[1][k] * v;
      e3 += ebu_coef_[2][k] * v;
    }
    peak = std::max({peak, std::fabs(e1), std::fabs(e2), std::fabs(e3)});
  }
  return peak;
}

}  // namespace lacquer::dsp
