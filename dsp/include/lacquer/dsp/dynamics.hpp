#pragma once
// The compressor core shared by the comp and multiband stages: a level detector (peak or RMS),
// the soft-knee static curve of Giannoulis, Massberg & Reiss ("Digital Dynamic Range
// Compressor Design — A Tutorial and Analysis", JAES 2012) in dB, stereo linking, and smooth
// branching attack/release ballistics applied to the gain reduction in dB.

#include <algorithm>
#include <bit>
#include <cstdint>

#include "lacquer/dsp/smoother.hpp"

namespace lacquer::dsp {

/// 10 log10(power) for a finite power > 0 (a normal double), within 1e-8 dB of the exact
/// value: the mantissa is brought into [1/sqrt 2, sqrt 2) and its log taken by the series
/// 2 atanh(t) = ln m with t = (m - 1) / (m + 1), |t| < 0.172, to t^9 (the first omitted
/// term is below 1e-9). Inline and branch-light, unlike the library log10 the detector
/// would otherwise call per sample and channel.
inline double power_to_db(double power) noexcept {
  constexpr double kDbPerLn = 4.3429448190325182765;   // 10 / ln 10
  constexpr double kDbPerOctave = 3.0102999566398119521;  // 10 log10(2)
  const auto bits = std::bit_cast<std::uint64_t>(power);
  auto exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (m > 1.4142135623730950488) {
    m *= 0.5;
    ++exponent;
  }
  const double t = (m - 1.0) / (m + 1.0);
  const double t2 = t * t;
  const double series =
      1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0))));
  return kDbPerOctave * exponent + kDbPerLn * 2.0 * t * series;
}

/// The linear gain 10^(-reduction_db / 20) of a gain reduction >= 0 dB, within a relative
/// 1e-11 (1e-10 dB) of the exact value, and exactly 1 for 0 dB: 2^-x split into 2^-n and
/// 2^f with |f| <= 1/2, the latter by its Taylor series to degree 10. Reductions beyond
/// 6000 dB give the gain of 6000 dB (1e-300).
inline double reduction_db_to_gain(double reduction_db) noexcept {
  if (reduction_db == 0.0) return 1.0;
  constexpr double kOctavesPerDb = 0.16609640474436811739;  // log2(10) / 20
  constexpr double kLn2 = 0.69314718055994530942;
  const double x = -std::min(reduction_db, 6000.0) * kOctavesPerDb;
  // x <= 0: truncating x - 1/2 rounds to the nearest integer.
  const int n = static_cast<int>(x - 0.5);
  const double f = (x - n) * kLn2;
  // Estrin's scheme: the same polynomial as Horner's rule with a quarter of its
  // dependency chain, which is what this costs per sample.
  const double f2 = f * f;
  const double f4 = f2 * f2;
  const double q01 = (1.0 + f) + (0.5 + f * (1.0 / 6.0)) * f2;
  const double q23 = (1.0 / 24.0 + f * (1.0 / 120.0)) + (1.0 / 720.0 + f * (1.0 / 5040.0)) * f2;
  const double q45 = (1.0 / 40320.0 + f * (1.0 / 362880.0)) + (1.0 / 3628800.0) * f2;
  const double p = q01 + (q23 + q45 * f4) * f4;
  const auto scale = std::bit_cast<double>(static_cast<std::uint64_t>(n + 1023)
                                           << 52);
  return p * scale;
}

/// Level detector; the names are the values of /chain/comp/detector.
enum class Detector { peak, rms };

/// Static gain reduction in dB (>= 0) for an input level `level_db`, with `slope` = 1 - 1/ratio:
/// 0 below the knee, slope * (x - T + W/2)^2 / (2W) inside it, slope * (x - T) above it.
inline double static_gain_reduction_db(double level_db, double threshold_db, double slope,
                                       double knee_db) noexcept {
  const double over = level_db - threshold_db;
  if (2.0 * over <= -knee_db) return 0.0;
  if (2.0 * over < knee_db) {
    const double t = over + 0.5 * knee_db;
    return slope * t * t / (2.0 * knee_db);
  }
  return slope * over;
}

/// The compressor settings common to both stages.
struct DynamicsSettings {
  double threshold_db = 0.0;  ///< expected -60..0 dBFS
  double ratio = 1.0;         ///< expected 1..20; 1 = no compression
  double knee_db = 6.0;       ///< expected 0..24: full width of the soft knee
  double attack_ms = 10.0;    ///< expected 0.1..300: time constant (63 % of a GR increase)
  double release_ms = 150.0;  ///< expected 5..3000: time constant (63 % of a GR decrease)
  bool operator==(const DynamicsSettings&) const = default;
};

/// Detector, static curve and ballistics for a pair of channels. Per frame it turns two
/// side-chain samples into a gain reduction in dB for each channel.
class Dynamics {
 public:
  /// Averaging time constant of the RMS detector.
  static constexpr double kRmsWindowMs = 10.0;
  /// Glide of threshold, ratio and knee (so that moving them cannot step the gain).
  static constexpr double kCurveGlideMs = 20.0;

  void prepare(double sample_rate) noexcept;
  /// Jumps to the settings and clears the detector and gain state.
  void reset(const DynamicsSettings& s, Detector detector, double link_pct) noexcept;
  /// Glides threshold, ratio and knee; takes new time constants, detector and link at once.
  void set(const DynamicsSettings& s, Detector detector, double link_pct) noexcept;

  /// One frame: the side-chain samples in, each channel's gain reduction (dB, >= 0) out.
  void process(double sc_left, double sc_right, double& gr_left_db, double& gr_right_db) noexcept;

  /// Largest current gain reduction of the two channels, in dB.
  double gain_reduction_db() const noexcept { return gr_db_[0] > gr_db_[1] ? gr_db_[0] : gr_db_[1]; }

 private:
  void update_floor() noexcept;

  double sample_rate_ = 48000.0;
  LinearSmoother threshold_db_;
  LinearSmoother slope_;  // 1 - 1/ratio
  LinearSmoother knee_db_;
  double floor_power_ = 1.0;    // detector power below which the curve gives no reduction
  double attack_coef_ = 0.0;    // one-pole coefficients exp(-1 / (tau * fs))
  double release_coef_ = 0.0;
  double rms_coef_ = 0.0;
  double link_ = 1.0;           // 0 = independent channels, 1 = one gain for both
  Detector detector_ = Detector::peak;
  double power_[2] = {0.0, 0.0};  // detector state: mean square (rms) per channel
  double gr_db_[2] = {0.0, 0.0};  // smoothed gain reduction per channel
};

}  // namespace lacquer::dsp
