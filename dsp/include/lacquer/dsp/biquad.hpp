#pragma once
// Second-order IIR sections in double precision, the building block of every filter in the
// chain: RBJ-cookbook designs (bilinear transform with the design frequency pre-warped),
// Butterworth section Qs, a per-sample linear ramp between coefficient sets, and a glide of
// the design parameters so that moving a filter never clicks.

#include <cstdint>

#include "lacquer/dsp/smoother.hpp"

namespace lacquer::dsp {

/// Coefficients of H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2), normalised so
/// that a0 = 1. The defaults are the identity.
struct BiquadCoeffs {
  double b0 = 1.0;
  double b1 = 0.0;
  double b2 = 0.0;
  double a1 = 0.0;
  double a2 = 0.0;
  bool operator==(const BiquadCoeffs&) const = default;
};

/// The RBJ cookbook shapes.
enum class BiquadShape { bell, low_shelf, high_shelf, low_pass, high_pass, notch, all_pass };

/// Designs one RBJ-cookbook section. `freq_hz` is clamped to [1 Hz, 0.49 * sample_rate] and
/// `q` to [0.025, 100]; `gain_db` is used by bell and shelves only. Shelves take Q in the
/// cookbook's sense (Q = 1/sqrt(2) is the steepest shelf without overshoot).
BiquadCoeffs design_biquad(BiquadShape shape, double sample_rate, double freq_hz, double q,
                           double gain_db) noexcept;

/// First-order high-pass (bilinear, pre-warped at `freq_hz`): H(s) = s / (s + 1).
BiquadCoeffs design_first_order_high_pass(double sample_rate, double freq_hz) noexcept;

/// Q of second-order section `k` (0-based, k < order / 2) of an even-order Butterworth filter.
double butterworth_section_q(int order, int k) noexcept;

/// The Q of both sections of a 4th-order Linkwitz-Riley filter (two 2nd-order Butterworths).
inline constexpr double kButterworthQ = 0.70710678118654752440;

/// State of one section in transposed direct form II: s1_ and s2_ hold the partial sums that
/// the next two outputs receive from past inputs and outputs.
class BiquadState {
 public:
  double process(const BiquadCoeffs& c, double x) noexcept {
    const double y = c.b0 * x + s1_;
    s1_ = c.b1 * x - c.a1 * y + s2_;
    s2_ = c.b2 * x - c.a2 * y;
    return y;
  }
  /// Filters x[0 .. n) in place with fixed coefficients; the same as n calls of
  /// process(c, x[i]), with the state kept in registers.
  void process(const BiquadCoeffs& c, double* x, std::uint32_t n) noexcept {
    double s1 = s1_;
    double s2 = s2_;
    for (std::uint32_t i = 0; i < n; ++i) {
      const double y = c.b0 * x[i] + s1;
      s1 = c.b1 * x[i] - c.a1 * y + s2;
      s2 = c.b2 * x[i] - c.a2 * y;
      x[i] = y;
    }
    s1_ = s1;
    s2_ = s2;
  }
  void reset() noexcept { s1_ = s2_ = 0.0; }

 private:
  double s1_ = 0.0;
  double s2_ = 0.0;
};

/// Coefficients that move linearly, sample by sample, to a new set. Every set on the way is
/// stable when both ends are: the stability region of (a1, a2) is a triangle, hence convex.
class BiquadRamp {
 public:
  /// Jumps to `c` with no ramp.
  void reset(const BiquadCoeffs& c) noexcept {
    current_ = target_ = c;
    remaining_ = 0;
  }

  /// Starts a ramp from the current coefficients to `c`, reached after `nsamples` calls of
  /// next().
  void set_target(const BiquadCoeffs& c, std::uint32_t nsamples) noexcept;

  /// The coefficients for the next sample.
  const BiquadCoeffs& next() noexcept {
    if (remaining_ != 0) {
      if (--remaining_ == 0) {
        current_ = target_;
      } else {
        current_.b0 += step_.b0;
        current_.b1 += step_.b1;
        current_.b2 += step_.b2;
        current_.a1 += step_.a1;
        current_.a2 += step_.a2;
      }
    }
    return current_;
  }

  const BiquadCoeffs& current() const noexcept { return current_; }
  const BiquadCoeffs& target() const noexcept { return target_; }
  /// True while next() still moves the coefficients.
  bool ramping() const noexcept { return remaining_ != 0; }

 private:
  BiquadCoeffs current_;  // coefficients of the last sample
  BiquadCoeffs target_;   // coefficients the ramp ends on
  BiquadCoeffs step_;     // per-sample increment of each coefficient while ramping
  std::uint32_t remaining_ = 0;
};

/// Glide of a filter's design parameters: log frequency, log Q and gain in dB move linearly
/// over the glide time, and the owner redesigns its sections every kBlock samples while they
/// move, ramping the coefficients in between (BiquadRamp). Sweeping a filter then follows a
/// smooth path of filters designed at real parameter values, not an arbitrary coefficient path.
class FilterGlide {
 public:
  /// Samples between two redesigns while gliding.
  static constexpr std::uint32_t kBlock = 16;

  void prepare(double sample_rate, double glide_ms) noexcept;

  /// Jumps to the values (initial state, reset, a silent band).
  void reset(double freq_hz, double q, double gain_db) noexcept;

  /// Glides to the values; a no-op for values already targeted.
  void set_target(double freq_hz, double q, double gain_db) noexcept;

  /// Advances the glide by kBlock samples; true when the values changed, i.e. when the owner
  /// must redesign its sections.
  bool advance() noexcept;
  /// True while the values still move towards their targets.
  bool gliding() const noexcept {
    return log_freq_.ramping() || log_q_.ramping() || gain_db_.ramping();
  }

  double freq_hz() const noexcept;
  double q() const noexcept;
  double gain_db() const noexcept { return gain_db_.current(); }

 private:
  LinearSmoother log_freq_;  // natural log of the frequency in Hz
  LinearSmoother log_q_;     // natural log of Q
  LinearSmoother gain_db_;
};

}  // namespace lacquer::dsp
