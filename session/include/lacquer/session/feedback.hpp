#pragma once
// The feedback loop: what recurs across every record of one client or one source
// studio, so the engineer can report patterns back.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
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
  /// A third-octave band this far above (or below) the median of its six neighbours is a
  /// narrow peak (or dip); the smooth tilt of a mix never comes near it.
  double spectral_feature_db = 3.0;
};

/// Narrow peaks and dips of one long-term third-octave spectrum (`bands_hz`, `level_db` of
/// an analysis report): bands at least `threshold_db` above or below the median of the
/// three bands each side, and the strongest such band within two bands. Heights in dB,
/// signed.
std::vector<std::pair<double, double>> spectral_features(const std::vector<double>& bands_hz,
                                                         const std::vector<double>& level_db,
                                                         double threshold_db);

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

/// A narrow peak or dip of the long-term third-octave spectrum that recurs in the mixes
/// as received (a room mode of the mix room shows up this way on every record from it).
struct SpectralFeatureStats {
  double freq_hz = 0.0;       ///< the third-octave band's centre
  bool peak = true;           ///< false: a dip
  double mean_db = 0.0;       ///< mean height (dip: depth, negative) over its neighbours
  int tracks = 0;             ///< tracks whose newest source analysis shows it
  int sessions = 0;           ///< distinct sessions (records) with it
  int sessions_analysed = 0;  ///< sessions in scope with any analysed source
};

/// Loudness habits of the mixes as received (newest source analysis of each track).
struct MixLoudness {
  int mixes = 0;
  double mean_integrated_lufs = 0.0;
  double mean_true_peak_dbtp = 0.0;
  int over_full_scale = 0;  ///< mixes with a true peak above 0 dBTP
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
  /// Later open notes in scope with the same words (case, spacing and punctuation aside).
  std::vector<OpenNote> repeats{};
};

struct FeedbackSummary {
  FeedbackScope scope{};
  int sessions = 0;
  int tracks = 0;
  std::vector<EqBandStats> eq_bands{};  ///< by band number
  LimiterStats limiter{};
  std::vector<QcEventStats> qc_events{};  ///< most sessions first, then most events
  std::vector<SpectralFeatureStats> spectral{};  ///< in two or more sessions; most first
  MixLoudness mixes{};
  DeliveredLoudness delivered{};
  std::vector<OpenNote> open_notes{};  ///< oldest first
};

/// JSON for the API and `lacquer feedback --json` (keys as the field names).
nlohmann::json to_json(const FeedbackSummary& s);
nlohmann::json to_json(const Note& n);

}  // namespace lacquer::session
