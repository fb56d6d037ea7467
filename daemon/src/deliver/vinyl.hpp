#pragma once
// The vinyl premaster: per side (each track's vinyl side, A, B, …) one continuous 24-bit file
// at the source rate holding the side's tracks with their gaps, and a timing sheet (A1, A2…
// start times). No brick-wall limiting: each track is rendered through its chain with the
// limiter bypassed (its drive with it), so peaks are as the chain leaves them and the cutting
// engineer sets the level. The side is high-passed at 20 Hz (4th-order Butterworth, 24 dB per
// octave: subsonic content moves the cutter and the stylus without being heard); the low end
// is summed to mono below a frequency when the engineer asks (the chain's stereo stage).
//
// Within a side a track starts after its pregap of silence, or on the previous track's tail
// when it crossfades from it; the first track of a side starts the side (the lead-in is the
// lathe's), without its pregap and without a crossfade from the other side.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compliance.hpp"
#include "lacquer/dsp/dither.hpp"
#include "release.hpp"
#include "timeline.hpp"

namespace lacquer::daemon::deliver {

inline constexpr double kSubsonicHz = 20.0;
/// Below this the two channels are compared for phase: out of phase there, the groove's
/// vertical excursion grows and the bass cancels in mono.
inline constexpr double kLowBandHz = 300.0;
/// A 12" side at 33⅓ rpm: beyond this a warning, beyond kSideMaxS refused unless overridden.
inline constexpr double kSideWarnS = 19 * 60 + 30;
inline constexpr double kSideMaxS = 23 * 60;
/// The longest 12" 33⅓ side cut at full level. Beyond it the groove pitch, and with it the
/// level a side can be cut at, falls as 1 / length.
inline constexpr double kFullLevelSideS = 18 * 60;

struct VinylTrack {
  std::size_t index = 0;  ///< into Release::tracks
  std::string code;       ///< "A1"
  Placement place;        ///< on the side, in samples at its rate
};

struct VinylSide {
  std::string name;  ///< "A"
  int rate = 0;
  std::vector<VinylTrack> tracks;
  std::int64_t total = 0;  ///< samples
  double seconds() const { return static_cast<double>(total) / rate; }
  std::string file_name() const { return "Side " + name + ".wav"; }
};

/// Sides in letter order, each track in album order on its side, from each track's length in
/// samples (`frames`) at its rate (`rates`). Throws DeliverError naming the track: a track
/// without a side, tracks of different rates on one side.
std::vector<VinylSide> lay_out_vinyl(const Release& release, const std::vector<std::int64_t>& frames,
                                     const std::vector<int>& rates);

/// The level (dB, <= 0) a side of `seconds` is cut at against a full-level side.
double side_level_db(double seconds);

/// The side's length rule: passes up to kSideWarnS, warns up to kSideMaxS, fails beyond.
RuleResult side_length_rule(const VinylSide& side);

/// The timing sheet: per side its file and length, per track its code, start and length.
std::string timing_sheet(const Release& release, const std::vector<VinylSide>& sides);

/// The sides as JSON: [{"side", "file", "rate", "duration_s", "level_db", "tracks": [{"code",
/// "position", "title", "isrc", "start_s", "duration_s"}]}].
nlohmann::json sides_json(const Release& release, const std::vector<VinylSide>& sides);

/// What writing a side measured, before the file's word length.
struct SideMeasures {
  double peak_dbfs = -std::numeric_limits<double>::infinity();
  std::int64_t clamped = 0;  ///< samples beyond full scale, clamped in the 24-bit file
  int low_windows = 0;       ///< 400 ms windows with low-band signal
  int negative_windows = 0;  ///< of those, with negative correlation below kLowBandHz
  double low_corr_mean = NAN, low_corr_min = NAN, low_corr_min_at_s = NAN;
};

/// Mixes the side's float renders (one per track of the side, in order), high-passes it at
/// kSubsonicHz, and writes it as 24-bit WAV with `dither`.
SideMeasures write_vinyl_side(const std::vector<std::filesystem::path>& renders, const VinylSide& side,
                              dsp::DitherType dither, const std::filesystem::path& out);

/// The rules of a side beyond the common ones: clipping before the 24-bit file, low-band
/// phase, sibilance and high-frequency energy, and the analysis' vinyl warnings (brick-wall
/// limiting, stereo low end, strong side signal). Warnings pass, flagged `warning`.
std::vector<RuleResult> vinyl_rules(const std::string& file, const SideMeasures& m,
                                    const analysis::TrackReport& report);

}  // namespace lacquer::daemon::deliver
