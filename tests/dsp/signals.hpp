#pragma once
// Test signals and measurements shared by the stage tests.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

namespace lacquer::dsp::test {

/// Uniform white noise in [-1, 1).
inline std::vector<double> noise(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

inline std::vector<double> sine(std::size_t n, double freq_hz, double amp, double fs) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = amp * std::sin(2.0 * std::numbers::pi * freq_hz * static_cast<double>(i) / fs);
  }
  return v;
}

/// Largest |y[i] - y[i-1]| from index `from` on.
inline double max_step(const std::vector<double>& y, std::size_t from = 1) {
  double m = 0.0;
  for (std::size_t i = std::max<std::size_t>(from, 1); i < y.size(); ++i) {
    m = std::max(m, std::abs(y[i] - y[i - 1]));
  }
  return m;
}

/// Runs a stage in place over (l, r) in blocks of `block` frames.
template <class Stage>
void run_stage(Stage& stage, std::vector<double>& l, std::vector<double>& r,
               std::uint32_t block = 256) {
  for (std::size_t pos = 0; pos < l.size(); pos += block) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(block, l.size() - pos));
    stage.process(l.data() + pos, r.data() + pos, n);
  }
}

}  // namespace lacquer::dsp::test
