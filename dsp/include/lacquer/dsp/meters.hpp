#pragma once
// Programme meters for one measuring point (chain input or output), computed on the
// audio thread without allocation: loudness (LoudnessMeter), sample and true peak,
// PLR and stereo correlation. The audio thread calls process() per block; the chain
// copies reading() into its snapshot, which the UI reads at its own rate.

#include <array>
#include <cmath>
#include <cstdint>

#include "lacquer/dsp/loudness_meter.hpp"
#include "lacquer/dsp/true_peak.hpp"

namespace lacquer::dsp {

/// Peak-to-loudness ratio (dB): the largest true peak (dBTP) minus the integrated
/// loudness (LUFS), as EBU R128 s1 defines it. 0 while either is not measured (-inf).
double plr_db(double true_peak_dbtp, double integrated_lufs) noexcept;

/// Sample peak and true peak per channel: a falling display value (instant attack,
/// kFallDbPerS fall) and the maximum since reset().
class PeakMeter {
 public:
  /// Fall rate of the display value (IEC 60268-18 programme meters fall 20 dB in 1.7 s).
  static constexpr double kFallDbPerS = 11.8;

  void prepare(double sample_rate) noexcept;
  void reset() noexcept;
  /// Forgets the maxima only (the display values fall on).
  void restart() noexcept;
  void process(const double* left, const double* right, std::uint32_t n) noexcept;

  /// Linear magnitudes.
  const std::array<double, 2>& sample_peak() const noexcept { return sample_; }
  const std::array<double, 2>& sample_peak_max() const noexcept { return sample_max_; }
  const std::array<double, 2>& true_peak() const noexcept { return true_; }
  const std::array<double, 2>& true_peak_max() const noexcept { return true_max_; }

 private:
  StereoTruePeakDetector detector_;  // accurate mode
  double fall_per_sample_ = 1.0;              // linear factor per sample
  std::array<double, 2> sample_{}, sample_max_{}, true_{}, true_max_{};
};

/// Stereo correlation: E[l r] / sqrt(E[l^2] E[r^2]) with exponential averages of time
/// constant kTimeConstantMs; +1 mono, 0 unrelated, -1 inverted. Reads 0 with no signal.
class CorrelationMeter {
 public:
  static constexpr double kTimeConstantMs = 300.0;

  void prepare(double sample_rate) noexcept;
  void reset() noexcept;
  /// Forgets the minimum only.
  void restart() noexcept;
  void process(const double* left, const double* right, std::uint32_t n) noexcept;
  double correlation() const noexcept;
  /// The lowest value seen since reset(), over periods with signal.
  double minimum() const noexcept { return minimum_; }

 private:
  double coef_ = 0.0;  // per-sample weight of the newest sample
  double lr_ = 0.0, ll_ = 0.0, rr_ = 0.0;  // averaged products
  double minimum_ = 1.0;
};

/// Everything a meter shows for one point, in display units.
struct MeterReading {
  LoudnessReading loudness;
  std::array<double, 2> sample_peak_dbfs{-INFINITY, -INFINITY};      ///< falling display
  std::array<double, 2> sample_peak_max_dbfs{-INFINITY, -INFINITY};  ///< since reset
  std::array<double, 2> true_peak_dbtp{-INFINITY, -INFINITY};        ///< falling display
  std::array<double, 2> true_peak_max_dbtp{-INFINITY, -INFINITY};    ///< since reset
  double plr_db = 0.0;        ///< louder channel's true_peak_max_dbtp - integrated
  double correlation = 0.0;   ///< -1 .. +1
  double correlation_min = 1.0;
};

class ProgramMeter {
 public:
  /// Allocates (libebur128); not real-time.
  void prepare(double sample_rate, std::uint32_t max_block);
  /// Starts afresh, filters and windows included; not real-time.
  void reset();
  /// Audio thread: starts a new measurement (integrated, LRA, PLR, maxima, correlation
  /// minimum) while the running readings go on.
  void restart() noexcept;
  /// Audio thread: n <= max_block frames; updates reading().
  void process(const double* left, const double* right, std::uint32_t n) noexcept;
  const MeterReading& reading() const noexcept { return reading_; }

 private:
  LoudnessMeter loudness_;
  PeakMeter peaks_;
  CorrelationMeter correlation_;
  MeterReading reading_;
};

}  // namespace lacquer::dsp
