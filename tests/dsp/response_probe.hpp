#pragma once
// Test helpers for filter responses: the measured response of a processing function at a probe
// frequency (impulse response + DFT at that frequency), and the analytic response of an analog
// prototype mapped by the bilinear transform pre-warped at the design frequency, which is how
// the RBJ cookbook, Butterworth and Linkwitz-Riley digital filters are defined.

#include <cmath>
#include <complex>
#include <cstdint>
#include <functional>
#include <numbers>
#include <vector>

namespace lacquer::dsp::test {

using Complex = std::complex<double>;

/// Impulse response of a stereo in-place process function, run in blocks of `block` frames.
/// `channel` selects which output is returned; the impulse goes into both inputs unless
/// `impulse_right` says otherwise (+1, -1 or 0 times the left impulse).
inline std::vector<double> impulse_response(
    const std::function<void(double*, double*, std::uint32_t)>& process, std::size_t length,
    int channel = 0, double impulse_right = 1.0, std::uint32_t block = 256) {
  if (length == 0) return {};
  std::vector<double> left(length, 0.0);
  std::vector<double> right(length, 0.0);
  left[0] = 1.0;
  right[0] = impulse_right;
  for (std::size_t pos = 0; pos < length; pos += block) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(block, length - pos));
    process(left.data() + pos, right.data() + pos, n);
  }
  return channel == 0 ? left : right;
}

/// DFT of `h` at one frequency: H(e^jw) = sum h[n] e^{-jwn}. The phasor is rotated by a fixed
/// step and recomputed exactly every 256 samples, which keeps its error near 1e-14.
inline Complex dft_at(const std::vector<double>& h, double freq_hz, double sample_rate) {
  const double w = 2.0 * std::numbers::pi * freq_hz / sample_rate;
  const Complex step(std::cos(w), -std::sin(w));
  Complex sum = 0.0;
  Complex phasor = 1.0;
  for (std::size_t n = 0; n < h.size(); ++n) {
    if (n % 256 == 0) {
      const double phase = -w * static_cast<double>(n);
      phasor = Complex(std::cos(phase), std::sin(phase));
    }
    sum += h[n] * phasor;
    phasor *= step;
  }
  return sum;
}

/// The normalised analog frequency variable s at which a digital filter designed at `f0_hz`
/// with the pre-warped bilinear transform takes its value for `freq_hz`:
/// s = j tan(pi f / fs) / tan(pi f0 / fs).
inline Complex warped_s(double freq_hz, double f0_hz, double sample_rate) {
  return {0.0, std::tan(std::numbers::pi * freq_hz / sample_rate) /
                   std::tan(std::numbers::pi * f0_hz / sample_rate)};
}

/// Analog prototypes (RBJ cookbook, normalised to w0 = 1). `a` is 10^(gain_db / 40).
inline Complex proto_bell(Complex s, double q, double a) {
  return (s * s + s * (a / q) + 1.0) / (s * s + s / (a * q) + 1.0);
}
inline Complex proto_low_shelf(Complex s, double q, double a) {
  const double k = std::sqrt(a) / q;
  return a * (s * s + k * s + a) / (a * s * s + k * s + 1.0);
}
inline Complex proto_high_shelf(Complex s, double q, double a) {
  const double k = std::sqrt(a) / q;
  return a * (a * s * s + k * s + 1.0) / (s * s + k * s + a);
}
inline Complex proto_low_pass2(Complex s, double q) { return 1.0 / (s * s + s / q + 1.0); }
inline Complex proto_high_pass2(Complex s, double q) { return s * s / (s * s + s / q + 1.0); }
inline Complex proto_notch(Complex s, double q) { return (s * s + 1.0) / (s * s + s / q + 1.0); }
inline Complex proto_all_pass2(Complex s, double q) {
  return (s * s - s / q + 1.0) / (s * s + s / q + 1.0);
}

/// Butterworth of order n from its poles p_k = exp(j pi (2k + n - 1) / (2n)), k = 1..n:
/// low-pass 1 / prod(s - p_k); high-pass is the same at 1/s.
inline Complex proto_butterworth_low_pass(Complex s, int order) {
  Complex den = 1.0;
  for (int k = 1; k <= order; ++k) {
    den *= s - std::polar(1.0, std::numbers::pi * (2.0 * k + order - 1.0) / (2.0 * order));
  }
  return 1.0 / den;
}
inline Complex proto_butterworth_high_pass(Complex s, int order) {
  return proto_butterworth_low_pass(1.0 / s, order);
}

/// Linkwitz-Riley 4th order at split frequency fc: the squared Butterworth low- and high-pass,
/// and their sum, the second-order allpass.
inline Complex lr4_low(double f, double fc, double fs) {
  const Complex h = proto_low_pass2(warped_s(f, fc, fs), std::numbers::sqrt2 / 2.0);
  return h * h;
}
inline Complex lr4_high(double f, double fc, double fs) {
  const Complex h = proto_high_pass2(warped_s(f, fc, fs), std::numbers::sqrt2 / 2.0);
  return h * h;
}
inline Complex lr4_all(double f, double fc, double fs) {
  return proto_all_pass2(warped_s(f, fc, fs), std::numbers::sqrt2 / 2.0);
}

inline double mag_db(Complex h) { return 20.0 * std::log10(std::abs(h)); }

/// Phase difference wrapped to (-pi, pi].
inline double phase_diff(Complex a, Complex b) { return std::arg(a / b); }

}  // namespace lacquer::dsp::test
