#include "lacquer/dsp/biquad.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lacquer::dsp {

namespace {

double clamp_freq(double sample_rate, double freq_hz) noexcept {
  return std::clamp(freq_hz, 1.0, 0.49 * sample_rate);
}

BiquadCoeffs normalise(double b0, double b1, double b2, double a0, double a1, double a2) noexcept {
  const double inv = 1.0 / a0;
  return {b0 * inv, b1 * inv, b2 * inv, a1 * inv, a2 * inv};
}

}  // namespace

BiquadCoeffs design_biquad(BiquadShape shape, double sample_rate, double freq_hz, double q,
                           double gain_db) noexcept {
  const double w0 = 2.0 * std::numbers::pi * clamp_freq(sample_rate, freq_hz) / sample_rate;
  const double cos_w = std::cos(w0);
  // 1 - cos(w0) written as 2 sin^2(w0 / 2): keeps its relative precision for low bands at
  // high sample rates, where cos(w0) is within 1e-6 of 1.
  const double half_sin = std::sin(0.5 * w0);
  const double one_minus_cos = 2.0 * half_sin * half_sin;
  const double alpha = std::sin(w0) / (2.0 * std::clamp(q, 0.025, 100.0));
  const double a = std::pow(10.0, gain_db / 40.0);

  switch (shape) {
    case BiquadShape::bell:
      return normalise(1.0 + alpha * a, -2.0 * cos_w, 1.0 - alpha * a, 1.0 + alpha / a,
                       -2.0 * cos_w, 1.0 - alpha / a);
    case BiquadShape::low_shelf: {
      const double k = 2.0 * std::sqrt(a) * alpha;
      return normalise(a * ((a + 1.0) - (a - 1.0) * cos_w + k),
                       2.0 * a * ((a - 1.0) - (a + 1.0) * cos_w),
                       a * ((a + 1.0) - (a - 1.0) * cos_w - k), (a + 1.0) + (a - 1.0) * cos_w + k,
                       -2.0 * ((a - 1.0) + (a + 1.0) * cos_w), (a + 1.0) + (a - 1.0) * cos_w - k);
    }
    case BiquadShape::high_shelf: {
      const double k = 2.0 * std::sqrt(a) * alpha;
      return normalise(a * ((a + 1.0) + (a - 1.0) * cos_w + k),
                       -2.0 * a * ((a - 1.0) + (a + 1.0) * cos_w),
                       a * ((a + 1.0) + (a - 1.0) * cos_w - k), (a + 1.0) - (a - 1.0) * cos_w + k,
                       2.0 * ((a - 1.0) - (a + 1.0) * cos_w), (a + 1.0) - (a - 1.0) * cos_w - k);
    }
    case BiquadShape::low_pass:
      return normalise(0.5 * one_minus_cos, one_minus_cos, 0.5 * one_minus_cos, 1.0 + alpha,
                       -2.0 * cos_w, 1.0 - alpha);
    case BiquadShape::high_pass: {
      const double one_plus_cos = 2.0 - one_minus_cos;
      return normalise(0.5 * one_plus_cos, -one_plus_cos, 0.5 * one_plus_cos, 1.0 + alpha,
                       -2.0 * cos_w, 1.0 - alpha);
    }
    case BiquadShape::notch:
      return normalise(1.0, -2.0 * cos_w, 1.0, 1.0 + alpha, -2.0 * cos_w, 1.0 - alpha);
    case BiquadShape::all_pass:
      return normalise(1.0 - alpha, -2.0 * cos_w, 1.0 + alpha, 1.0 + alpha, -2.0 * cos_w,
                       1.0 - alpha);
  }
  return {};
}

BiquadCoeffs design_first_order_high_pass(double sample_rate, double freq_hz) noexcept {
  const double k = std::tan(std::numbers::pi * clamp_freq(sample_rate, freq_hz) / sample_rate);
  const double b0 = 1.0 / (1.0 + k);
  return {b0, -b0, 0.0, (k - 1.0) / (k + 1.0), 0.0};
}

double butterworth_section_q(int order, int k) noexcept {
  // The analog poles of section k sit at angle (2k + 1) pi / (2 order) from the imaginary axis.
  const double theta = (2.0 * k + 1.0) * std::numbers::pi / (2.0 * order);
  return 1.0 / (2.0 * std::sin(theta));
}

void BiquadRamp::set_target(const BiquadCoeffs& c, std::uint32_t nsamples) noexcept {
  target_ = c;
  if (nsamples == 0) {
    current_ = c;
    remaining_ = 0;
    return;
  }
  const double inv = 1.0 / static_cast<double>(nsamples);
  step_ = {(c.b0 - current_.b0) * inv, (c.b1 - current_.b1) * inv, (c.b2 - current_.b2) * inv,
           (c.a1 - current_.a1) * inv, (c.a2 - current_.a2) * inv};
  remaining_ = nsamples;
}

void FilterGlide::prepare(double sample_rate, double glide_ms) noexcept {
  log_freq_.prepare(sample_rate, glide_ms);
  log_q_.prepare(sample_rate, glide_ms);
  gain_db_.prepare(sample_rate, glide_ms);
}

void FilterGlide::reset(double freq_hz, double q, double gain_db) noexcept {
  log_freq_.reset(std::log(freq_hz));
  log_q_.reset(std::log(q));
  gain_db_.reset(gain_db);
}

void FilterGlide::set_target(double freq_hz, double q, double gain_db) noexcept {
  log_freq_.set_target(std::log(freq_hz));
  log_q_.set_target(std::log(q));
  gain_db_.set_target(gain_db);
}

bool FilterGlide::advance() noexcept {
  if (!log_freq_.ramping() && !log_q_.ramping() && !gain_db_.ramping()) return false;
  log_freq_.advance(kBlock);
  log_q_.advance(kBlock);
  gain_db_.advance(kBlock);
  return true;
}

double FilterGlide::freq_hz() const noexcept { return std::exp(log_freq_.current()); }
double FilterGlide::q() const noexcept { return std::exp(log_q_.current()); }

}  // namespace lacquer::dsp
