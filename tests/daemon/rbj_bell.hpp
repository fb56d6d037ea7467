#pragma once
// The RBJ cookbook's peaking EQ ("bell"), written out here so the simulated room and the
// test's expectations come from the cookbook's formulas, not from the code under test.

#include <cmath>
#include <complex>
#include <numbers>

namespace lacquer::test {

struct Bell {
  double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0;  // a0 normalised to 1

  Bell() = default;
  Bell(double sample_rate, double freq_hz, double gain_db, double q) {
    const double a = std::pow(10.0, gain_db / 40.0);
    const double w0 = 2.0 * std::numbers::pi * freq_hz / sample_rate;
    const double alpha = std::sin(w0) / (2.0 * q);
    const double a0 = 1.0 + alpha / a;
    b0 = (1.0 + alpha * a) / a0;
    b1 = -2.0 * std::cos(w0) / a0;
    b2 = (1.0 - alpha * a) / a0;
    a1 = b1;
    a2 = (1.0 - alpha / a) / a0;
  }

  /// |H| at freq_hz.
  double magnitude(double sample_rate, double freq_hz) const {
    const std::complex<double> z1 = std::polar(1.0, -2.0 * std::numbers::pi * freq_hz / sample_rate);
    return std::abs((b0 + b1 * z1 + b2 * z1 * z1) / (1.0 + a1 * z1 + a2 * z1 * z1));
  }
};

}  // namespace lacquer::test
