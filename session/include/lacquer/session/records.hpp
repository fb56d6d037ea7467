#pragma once
// The rows of the store as plain values. Times are Unix time in milliseconds (UTC).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace lacquer::session {

using Id = std::int64_t;

/// Milliseconds since the Unix epoch, now.
std::int64_t now_unix_ms();

/// Where a release stands.
enum class SessionStatus { open, attended, approved, delivered };

/// What a client record may do.
enum class Role { client, engineer };  // in rising rights, as control::Role

/// What was playing when a note was made.
enum class CompareState { chain, bypass, a, b, reference };

enum class NoteStatus { open, resolved };

/// Where a report's analysis came from.
enum class ReportKind {
  source,       ///< the incoming mix as received (QC events of the mix)
  render,       ///< a render through the chain (carries the limiter's work)
  deliverable,  ///< a delivered master (its loudness is what listeners get)
};

/// Names as stored and as sent on the wire ("open", "engineer", "A", "resolved", ...).
std::string_view to_string(SessionStatus v) noexcept;
std::string_view to_string(Role v) noexcept;
std::string_view to_string(CompareState v) noexcept;
std::string_view to_string(NoteStatus v) noexcept;
std::string_view to_string(ReportKind v) noexcept;

/// Parsers of the same names; nothing for an unknown name.
std::optional<SessionStatus> parse_session_status(std::string_view s) noexcept;
std::optional<Role> parse_role(std::string_view s) noexcept;
std::optional<CompareState> parse_compare_state(std::string_view s) noexcept;
std::optional<NoteStatus> parse_note_status(std::string_view s) noexcept;
std::optional<ReportKind> parse_report_kind(std::string_view s) noexcept;

/// A release being mastered.
struct Session {
  Id id = 0;
  std::string title{};
  std::string artist{};
  std::string client{};  ///< who the release is for (artist, label, producer)
  std::string studio{};  ///< the studio the mixes came from
  SessionStatus status = SessionStatus::open;
  std::int64_t created_unix_ms = 0;
  std::optional<int> year{};  ///< year of release (album.hpp's rules), or none
  std::string label{};        ///< record label
  std::string catalogue{};    ///< EAN-13 or UPC-A digits, or empty
};

/// One track of a release, in order.
struct Track {
  Id id = 0;
  Id session_id = 0;
  int position = 0;           ///< 1-based order in the release
  std::string file_path{};    ///< the source file as given
  std::string file_sha256{};  ///< lower-case hex digest of the source file's bytes
  std::string title{};
  std::string isrc{};  ///< 12 characters without dashes, or empty
  double gap_before_s = 0.0;
  std::string target{};             ///< delivery target name ("spotify", "cd", ...), or empty
  std::optional<Id> snapshot_id{};  ///< the chain snapshot applied to this track
  std::int64_t created_unix_ms = 0;
  std::string performer{};
  std::string songwriter{};
  double crossfade_s = 0.0;  ///< crossfade from the previous track into this one
  std::string side{};        ///< vinyl side "A", "B", ... or empty
};

/// Chain and monitor state of one track: an object of parameter paths to values, the
/// same shape as `lacquer render --chain FILE`.
struct Snapshot {
  Id id = 0;
  Id track_id = 0;
  int version = 0;     ///< 1, 2, ... per track in the order stored
  std::string name{};  ///< "A", "B", "v2 brighter", or empty
  nlohmann::json state = nlohmann::json::object();
  std::int64_t created_unix_ms = 0;
};

/// One path that differs between two snapshots; a missing side is null.
struct SnapshotChange {
  std::string path{};
  nlohmann::json before{};  ///< null when the path is only in the second snapshot
  nlohmann::json after{};   ///< null when the path is only in the first snapshot
};

/// A person with a token. The token itself is never stored, only its SHA-256.
struct Client {
  Id id = 0;
  std::string name{};
  Role role = Role::client;
  bool revoked = false;
  std::optional<std::int64_t> expires_unix_ms{};  ///< no expiry when empty
  std::int64_t created_unix_ms = 0;
  std::vector<Id> sessions{};  ///< sessions the client was invited to
};

/// A timestamped comment on a moment of a track.
struct Note {
  Id id = 0;
  Id session_id = 0;
  std::optional<Id> track_id{};  ///< empty for a note on the whole release
  double time_s = 0.0;           ///< position in the track, as heard
  std::optional<Id> author_client_id{};
  std::string author{};  ///< the author's name when the note was made
  std::string text{};
  NoteStatus status = NoteStatus::open;
  std::int64_t created_unix_ms = 0;
  std::optional<std::int64_t> resolved_unix_ms{};
  std::string resolved_by{};
  std::optional<Id> snapshot_id{};              ///< the snapshot playing when the note was made
  std::optional<CompareState> compare_state{};  ///< what was being compared then
  std::optional<Id> reference_id{};             ///< the reference heard, when it was one
};

/// A master the client points to (a record they love), heard unprocessed and
/// loudness-matched against the chain.
struct ReferenceTrack {
  Id id = 0;
  Id session_id = 0;
  int position = 0;  ///< 1-based order among the session's references
  std::string file_path{};
  std::string file_sha256{};
  std::string title{};
  std::int64_t created_unix_ms = 0;
};

/// One measurement of a speaker in the room: what `lacquer calibrate --json` prints (delay_ms,
/// level_db, response, correction, ...), stored per speaker set and speaker with its date.
struct Calibration {
  Id id = 0;
  std::string speaker_set{};  ///< "main", "alt", "mini"
  std::string speaker{};      ///< "left", "right"
  nlohmann::json result = nlohmann::json::object();
  std::int64_t created_unix_ms = 0;  ///< when it was measured
  /// "measurement" (what the monitor path applies) or "verification" (measured again
  /// through the correction: the response after it).
  std::string kind = "measurement";
};

/// What the engineer reports back to a client or mix engineer.
struct Observation {
  Id id = 0;
  Id session_id = 0;
  std::optional<Id> track_id{};
  std::string topic{};  ///< short grouping key: "low end", "sibilance", ...
  std::string text{};
  std::int64_t created_unix_ms = 0;
};

/// Analysis of a source, a render or a deliverable, as JSON (see docs/data.md for the
/// keys the feedback queries read).
struct Report {
  Id id = 0;
  Id session_id = 0;
  std::optional<Id> track_id{};
  ReportKind kind = ReportKind::render;
  std::string label{};  ///< e.g. the rendered file or the target name
  nlohmann::json data = nlohmann::json::object();
  std::int64_t created_unix_ms = 0;
};

}  // namespace lacquer::session
