#pragma once
// Parametric bands that flatten a room's modes, in the shape the monitor path's correction EQ
// applies them (RBJ bells, dsp::design_biquad). Cuts come first: a mode is energy too much and
// a cut takes it away for every listener position; a dip is often a cancellation, which more
// energy does not fill, so boosts are small, broad and never into a null.

#include <vector>

#include "measurement.hpp"

namespace lacquer::daemon::calibrate {

struct CorrectionBand {
  double freq_hz = 0.0;
  double gain_db = 0.0;
  double q = 1.0;
};

struct CorrectionLimits {
  double min_freq_hz = 25.0;   ///< the sweep's first third of an octave is its fade
  double max_freq_hz = 300.0;  ///< no band above (modes live below the Schroeder frequency)
  int max_bands = 4;           ///< the monitor path's correction bands per speaker
  double max_boost_db = 3.0;
  double max_cut_db = 15.0;
  double null_depth_db = 6.0;  ///< a dip deeper than this is a null: never boosted
  double threshold_db = 1.0;   ///< deviations smaller than this are left alone
};

/// Bands, in the order found (largest deviation first), that bring `response` (1/12-octave
/// smoothed) towards `target_db` between its lowest frequency and limits.max_freq_hz.
std::vector<CorrectionBand> design_correction(const Response& response, double target_db,
                                              double sample_rate, const CorrectionLimits& limits);

/// The gain of an RBJ bell at `freq_hz`, in dB.
double bell_gain_db(const CorrectionBand& band, double sample_rate, double freq_hz);

}  // namespace lacquer::daemon::calibrate
