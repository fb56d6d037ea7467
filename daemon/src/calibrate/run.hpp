#pragma once
// One whole measurement of a speaker, as `lacquer calibrate` and the daemon take it: the sweep
// for the server's rate, the capture (taken again after an xrun, four attempts), the analysis
// and the correction, and the result as JSON (docs/DESIGN.md lists its keys).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "correction.hpp"
#include "jack_capture.hpp"
#include "measurement.hpp"

namespace lacquer::daemon::calibrate {

struct RunOptions {
  JackCaptureOptions capture;
  std::string speaker;          ///< named in the result; may be empty
  std::string output_label;     ///< the result's output_port (empty: capture.output_port)
  double level_dbfs = -20.0;
  double duration_s = 5.0;
  CorrectionLimits limits;
  /// Bells the played sweep passes through first, as the monitor path's correction would
  /// filter it; the recording is still deconvolved by the plain sweep, so the response
  /// measured is the room's after that correction.
  std::vector<CorrectionBand> through;
};

struct RunResult {
  std::optional<Measurement> measurement;
  std::vector<CorrectionBand> correction;
  nlohmann::json json;  ///< the result, when measured
  std::string error;    ///< what went wrong, when not
};

/// Measures; `note` hears of a measurement taken again.
RunResult run_measurement(const RunOptions& options,
                          const std::function<void(const std::string&)>& note);

}  // namespace lacquer::daemon::calibrate
