#pragma once
// The feedback loop: what recurs across every record of one client or one source
// studio, so the engineer can report patterns back.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/session/records.hpp"

namespace lacquer::session {

/// Which sessions a summary covers: one client, one studio, or (both empty) all.
struct FeedbackScope {
  std::optional<std::string> client{};
  std::optional<std::string> studio{};
};

struct FeedbackOptions {
  /// A render whose limiter took at least this much gain (peak) "worked hard".
  double limiter_hard_db = 3.0;
};

/// Applied EQ of one band number (`/chain/eq/N/...`) across tracks.
struct EqBandStats {
  int band = 0;
  int tracks = 0;  ///< tracks whose applied snapshot sets this band's gain
  double mean_gain_db = 0.0;
  double stddev_gain_db = 0.0;  ///< population standard deviation
  double min_gain_db = 0.0;
  double max_gain_db = 0.0;
  std::optional<double> mean_freq_hz{};  ///< geometric mean where the frequency is set
};

/// How hard the limiter worked in the scope's render reports.
struct LimiterStats {
  int renders = 0;  ///< render reports carrying the limiter's peak gain reduction
  int hard = 0;     ///< of which at or above FeedbackOptions::limiter_hard_db
  double mean_max_gain_reduction_db = 0.0;
};

/// One QC event type found in the scope's source reports.
struct QcEventStats {
  std::string type{};  ///< "click", "clip", ...
  int events = 0;
  int tracks = 0;    ///< distinct tracks with at least one
  int sessions = 0;  ///< distinct sessions with at least one: recurring when > 1
};

/// Loudness of the delivered masters.
struct DeliveredLoudness {
  int masters = 0;
  double mean_integrated_lufs = 0.0;
  double stddev_integrated_lufs = 0.0;
  double min_integrated_lufs = 0.0;
  double max_integrated_lufs = 0.0;
  std::optional<double> max_true_peak_dbtp{};
};

/// An open note with where it was made.
struct OpenNote {
  Note note{};
  std::string session_title{};
  std::string track_title{};
};

struct FeedbackSummary {
  FeedbackScope scope{};
  int sessions = 0;
  int tracks = 0;
  std::vector<EqBandStats> eq_bands{};  ///< by band number
  LimiterStats limiter{};
  std::vector<QcEventStats> qc_events{};  ///< most sessions first, then most events
  DeliveredLoudness delivered{};
  std::vector<OpenNote> open_notes{};  ///< oldest first
};

/// JSON for the API and `lacquer feedback --json` (keys as the field names).
nlohmann::json to_json(const FeedbackSummary& s);
nlohmann::json to_json(const Note& n);

}  // namespace lacquer::session
