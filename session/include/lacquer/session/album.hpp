#pragma once
// A session as a release: its album (release metadata and ordered tracks), the one
// validator of every album value, and the album's JSON (docs/DESIGN.md, "The album").
// Used by the store (every write), the HTTP API and `lacquer deliver`.
//
// Every refusal is an Error with code invalid_argument whose message starts with the
// field and states the rule, e.g. "isrc: 'GB-AYE' is not 12 characters of the form
// ^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"; inside an album the track is named in front of it:
// "track 2 (Intro): crossfade_s: ...".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/session/records.hpp"
#include "lacquer/session/result.hpp"

namespace lacquer::session {

class Store;

/// Limits of the album's values.
inline constexpr int kYearMin = 1900;
inline constexpr int kYearMax = 2100;
inline constexpr double kPregapMaxS = 60.0;
inline constexpr double kCrossfadeMaxS = 30.0;

// Single values ----------------------------------------------------------------------

/// An ISRC as stored: dashes dropped, letters upper-cased, then it must match
/// ^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$. "" stays "" (no ISRC).
Result<std::string> check_isrc(std::string_view isrc);

/// A catalogue number: EAN-13 (13 digits) or UPC-A (12 digits) whose last digit is the
/// GS1 check digit of the others. Spaces and dashes are dropped. "" stays "" (none).
Result<std::string> check_catalogue(std::string_view catalogue);

/// Whether the last digit of a 12- or 13-digit string is the GS1 check digit of the
/// others (weights 3 and 1 from the right). False for anything else.
bool gtin_check_digit_ok(std::string_view digits) noexcept;

/// Year of release: kYearMin..kYearMax, or none.
Result<void> check_year(std::optional<int> year);

/// Gap before a track: finite, 0..kPregapMaxS seconds.
Result<void> check_pregap(double pregap_s);

/// Crossfade from the previous track: finite, 0..kCrossfadeMaxS seconds, 0 for the first
/// track, and not longer than the previous track when its duration is known.
Result<void> check_crossfade(double crossfade_s, bool first,
                             std::optional<double> previous_duration_s);

/// Vinyl side: "" (none) or one capital letter "A".."Z".
Result<void> check_side(std::string_view side);

// The album ----------------------------------------------------------------------------

/// One track of an album.
struct AlbumTrack {
  std::optional<Id> id{};  ///< store id; empty in a hand-written album.json
  int position = 0;        ///< 1-based order
  std::string title{};
  std::string performer{};
  std::string songwriter{};
  std::string isrc{};         ///< normalised (12 characters) or ""
  std::string file{};         ///< the source file
  std::string file_sha256{};  ///< lower-case hex; "" when a hand-written album gives none
  double pregap_s = 0.0;      ///< silence (or the previous track's tail) before it
  double crossfade_s = 0.0;   ///< crossfade from the previous track into this one
  std::string side{};         ///< vinyl side "A", "B", ... or ""
  std::optional<Id> snapshot_id{};
  /// The chain state (paths to values) the track is mastered with, or null for the
  /// schema's defaults. Filled by album_from_store and from an album.json's "snapshot".
  nlohmann::json snapshot = nullptr;
  /// Length of the source in seconds when known (from its analysis, or set by the
  /// caller after opening the file); the crossfade rule uses it.
  std::optional<double> duration_s{};
};

/// A release: its metadata and tracks in position order (positions 1..N).
struct Album {
  std::optional<Id> session_id{};  ///< empty in a hand-written album.json
  std::string title{};
  std::string artist{};
  std::optional<int> year{};
  std::string label{};
  std::string catalogue{};  ///< EAN-13 / UPC-A digits or ""
  std::vector<AlbumTrack> tracks{};
};

/// Checks every value of an album and the rules between tracks (positions 1..N in
/// order, the first track without crossfade, each crossfade within the previous track's
/// duration where known). The message names the track and the field.
Result<void> validate_album(const Album& album);

/// The album of a session as stored: every track's snapshot (its applied snapshot_id's
/// state, or null) and its duration from its source analysis, when there is one.
/// not_found for an unknown session.
Result<Album> album_from_store(const Store& store, Id session_id);

/// The album's JSON (the body of GET /api/sessions/ID/album): the contract's fields, each
/// track's "analysis" ({integrated_lufs, lra_lu, true_peak_dbtp, duration_s} from its
/// stored source report, or null) and the album's "spread" ({loudness_spread_lu, loudest,
/// quietest} with positions, or null with fewer than two analysed tracks). With
/// `with_snapshots` each track also carries "snapshot" (the state object or null), the
/// shape `lacquer deliver --session` works from. not_found for an unknown session.
Result<nlohmann::json> album_json(const Store& store, Id session_id, bool with_snapshots);

/// Reads and validates a hand-written album.json (the contract's shape without ids,
/// "analysis" and "spread"). Required: "title" and "tracks" (at least one, each with a
/// "file"); "position" either on every track or on none (then the array's order).
/// Unknown keys are refused, so a misspelt field is not silently ignored. A relative
/// "file" is kept as written: the caller resolves it against the album file's folder.
Result<Album> album_from_json(const nlohmann::json& j);

}  // namespace lacquer::session
