#include "sweep.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lacquer::daemon::calibrate {

double sweep_time_constant_s(const SweepSpec& spec) noexcept {
  return spec.duration_s / std::log(spec.f2_hz / spec.f1_hz);
}

double harmonic_advance_s(const SweepSpec& spec, int k) noexcept {
  return sweep_time_constant_s(spec) * std::log(static_cast<double>(k));
}

std::vector<float> exponential_sweep(const SweepSpec& spec) {
  const auto n = static_cast<std::size_t>(std::llround(spec.duration_s * spec.sample_rate));
  const double amplitude = std::pow(10.0, spec.level_dbfs / 20.0);
  const double l = sweep_time_constant_s(spec);
  const double w1 = 2.0 * std::numbers::pi * spec.f1_hz;
  const auto fade_in = static_cast<std::size_t>(spec.fade_in_ms * 1e-3 * spec.sample_rate);
  const auto fade_out = static_cast<std::size_t>(spec.fade_out_ms * 1e-3 * spec.sample_rate);
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / spec.sample_rate;
    double g = amplitude;
    if (i < fade_in) {
      g *= 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(i) / fade_in);
    }
    if (n - i <= fade_out) {
      g *= 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(n - 1 - i) / fade_out);
    }
    x[i] = static_cast<float>(g * std::sin(w1 * l * std::expm1(t / l)));
  }
  return x;
}

}  // namespace lacquer::daemon::calibrate
