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
  // coef[p][k]: weight of history slot k for the instant m + (p + 1) / 4 (accurate), and
  // ebu[q - 1][k] for libebur128's instant m + q / factor.
  double coef[kOversampling - 1][kTaps] = {};
  double ebu[kOversampling - 1][kTaps] = {};
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
      coef[p][k] = sinc * window;
      sum += coef[p][k];
    }
    // Unity gain at DC for every phase, so a constant signal reads exactly its value.
    for (double& c : coef[p]) c /= sum;
  }
  if (mode == Mode::kConservative && sample_rate < 192000.0) {
    // libebur128's prototype: 49 taps at `factor` x, c[j] = sinc((j - 24) / factor) *
    // hann(j), not normalised. For the instant m + q / factor, tap j weighs input m + d
    // with j = 24 - factor * d + q.
    const int factor = sample_rate < 96000.0 ? 4 : 2;
    ebu_len_ = 48 / factor;
    ebu_first_ = half - 1 - (24 / factor - 1);
    for (int q = 1; q < factor; ++q) {
      for (int k = 0; k < ebu_len_; ++k) {
        const int d = k - (24 / factor - 1);
        const int j = 24 - factor * d + q;
        const double arg = std::numbers::pi * (j - 24) / factor;
        const double hann = 0.5 * (1.0 - std::cos(2.0 * std::numbers::pi * j / 48.0));
        ebu[q - 1][ebu_first_ + k] = std::sin(arg) / arg * hann;
      }
    }
  }
  for (int k = 0; k < kTaps; ++k) {
    lanes_[k] = {Pair{coef[0][k], coef[1][k]}, Pair{coef[2][k], ebu[0][k]},
                 Pair{ebu[1][k], ebu[2][k]}};
  }
  gain_bound_ = 1.0;
  for (int p = 0; p < kOversampling - 1; ++p) {
    double acc = 0.0, eb = 0.0;
    for (int k = 0; k < kTaps; ++k) {
      acc += std::fabs(coef[p][k]);
      eb += std::fabs(ebu[p][k]);
    }
    gain_bound_ = std::max({gain_bound_, acc, eb});
  }
  // Headroom for the rounding of the interpolators' sums.
  gain_bound_ *= 1.0 + 1e-9;
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

  // Four partial sums per instant (taps k mod 4), added pairwise at the end: the dependency
  // chain is a quarter of the taps long. StereoTruePeakDetector sums in the same order.
  Pair s0[4] = {};
  Pair s1[4] = {};
#pragma GCC unroll 24
  for (int k = 0; k < kTaps; ++k) {
    const Pair v = {w[k], w[k]};
    s0[k % 4] = simd::fma(lanes_[k][0], v, s0[k % 4]);
    s1[k % 4] = simd::fma(lanes_[k][1], v, s1[k % 4]);
  }
  const Pair sum0 = (s0[0] + s0[1]) + (s0[2] + s0[3]);
  const Pair sum1 = (s1[0] + s1[1]) + (s1[2] + s1[3]);
  out[0] = w[kTaps / 2 - 1];
  out[1] = sum0[0];
  out[2] = sum0[1];
  out[3] = sum1[0];
  // sum1[1] is libebur128's first instant: zero weights, and so 0, in kAccurate.
  double peak = std::max({std::fabs(out[0]), std::fabs(sum0[0]), std::fabs(sum0[1]),
                          std::fabs(sum1[0]), std::fabs(sum1[1])});
  if (ebu_len_ > 0) {
    // Two partial sums (ebu_len_ is even), as for the other instants.
    Pair even = {0.0, 0.0};
    Pair odd = {0.0, 0.0};
    for (int k = ebu_first_; k < ebu_first_ + ebu_len_; k += 2) {
      even = simd::fma(lanes_[k][2], Pair{w[k], w[k]}, even);
      odd = simd::fma(lanes_[k + 1][2], Pair{w[k + 1], w[k + 1]}, odd);
    }
    const Pair s2 = even + odd;
    peak = std::max({peak, std::fabs(s2[0]), std::fabs(s2[1])});
  }
  return peak;
}

StereoTruePeakDetector::StereoTruePeakDetector(TruePeakDetector::Mode mode,
                                               double sample_rate) noexcept {
  const TruePeakDetector mono(mode, sample_rate);
  const auto both_channels = [&](int k, int g) {
    const auto pair = mono.lanes_[k][g];
    return simd::f64x4{pair[0], pair[1], pair[0], pair[1]};
  };
  for (int k = 0; k < kTaps; ++k) lanes_[k] = simd::join(both_channels(k, 0), both_channels(k, 1));
  ebu_first_ = mono.ebu_first_;
  ebu_len_ = mono.ebu_len_;
  for (int j = 0; j < ebu_len_ / 2; ++j) {
    const int k = ebu_first_ + 2 * j;
    ebu_lanes_[j] = simd::join(both_channels(k, 2), both_channels(k + 1, 2));
  }
  gain_bound_ = mono.gain_bound_;
  reset();
}

void StereoTruePeakDetector::reset() noexcept {
  hist_.fill(simd::f64x4{});
  pos_ = 0;
  loud_left_ = kTaps;
}

simd::f64x2 StereoTruePeakDetector::push_each(double left, double right) noexcept {
  using simd::f64x4;
  using simd::f64x8;
  store(left, right);
  const f64x4* w = hist_.data() + pos_;  // oldest first

  // The same sums, in the same order, as TruePeakDetector::push() for each channel: `first`
  // holds its first group of instants, `second` its second. With 512-bit registers both
  // groups run in one vector, the taps' weights as they are stored; else in two.
  f64x4 first;
  f64x4 second;
  if constexpr (simd::kWideRegisters) {
    f64x8 s[4] = {};
#pragma GCC unroll 24
    for (int k = 0; k < kTaps; ++k) {
      s[k % 4] = simd::fma(lanes_[k], simd::join(w[k], w[k]), s[k % 4]);
    }
    const f64x8 sum = (s[0] + s[1]) + (s[2] + s[3]);
    first = simd::low_half(sum);
    second = simd::high_half(sum);
  } else {
    f64x4 s0[4] = {};
    f64x4 s1[4] = {};
#pragma GCC unroll 24
    for (int k = 0; k < kTaps; ++k) {
      s0[k % 4] = simd::fma(simd::low_half(lanes_[k]), w[k], s0[k % 4]);
      s1[k % 4] = simd::fma(simd::high_half(lanes_[k]), w[k], s1[k % 4]);
    }
    first = (s0[0] + s0[1]) + (s0[2] + s0[3]);
    second = (s1[0] + s1[1]) + (s1[2] + s1[3]);
  }
  const auto abs = [](f64x4 v) { return simd::select<f64x4>(v < 0.0, -v, v); };
  f64x4 m = simd::max(abs(first), abs(second));
  // Lanes 0 and 2 of the history are the original samples of the two channels.
  m = simd::max(m, abs(w[kTaps / 2 - 1]));
  if (ebu_len_ > 0) {
    // The even taps' sum and the odd taps' (in one vector with 512-bit registers: taps k and
    // k + 1 side by side).
    f64x4 even{};
    f64x4 odd{};
    if constexpr (simd::kWideRegisters) {
      f64x8 even_odd{};
      for (int j = 0; j < ebu_len_ / 2; ++j) {
        const int k = ebu_first_ + 2 * j;
        even_odd = simd::fma(ebu_lanes_[j], simd::join(w[k], w[k + 1]), even_odd);
      }
      even = simd::low_half(even_odd);
      odd = simd::high_half(even_odd);
    } else {
      for (int j = 0; j < ebu_len_ / 2; ++j) {
        const int k = ebu_first_ + 2 * j;
        even = simd::fma(simd::low_half(ebu_lanes_[j]), w[k], even);
        odd = simd::fma(simd::high_half(ebu_lanes_[j]), w[k + 1], odd);
      }
    }
    m = simd::max(m, abs(even + odd));
  }
  // Lanes (left, left, right, right) to each channel's largest.
  m = simd::max(m, simd::swap_pairs(m));
  return simd::f64x2{m[0], m[2]};
}

}  // namespace lacquer::dsp
