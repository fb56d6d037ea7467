#pragma once
// The SQLite store of sessions, tracks, snapshots, clients, notes, observations and
// reports. One Store is one connection, used from one thread (the control executor or
// a dedicated writer) and never from the audio thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lacquer/session/feedback.hpp"
#include "lacquer/session/records.hpp"
#include "lacquer/session/result.hpp"

namespace lacquer::session {

/// What a new session holds.
struct NewSession {
  std::string title{};
  std::string artist{};
  std::string client{};
  std::string studio{};
};

/// What a new track holds. When `file_sha256` is empty the store hashes the file, which
/// reads all of it: hash large files on a worker with sha256_file() and pass the digest.
struct NewTrack {
  Id session_id = 0;
  std::string file_path{};
  std::string file_sha256{};
  std::string title{};
  std::string isrc{};  ///< CC-XXX-YY-NNNNN with or without dashes, or empty
  double gap_before_s = 0.0;
  std::string target{};
  std::optional<int> position{};  ///< 1-based; appended after the last track when empty
};

/// Release metadata to change (album.hpp's rules); empty fields are left as they are.
struct ReleaseUpdate {
  std::optional<std::string> title{};
  std::optional<std::string> artist{};
  std::optional<std::optional<int>> year{};  ///< a held nullopt clears the year
  std::optional<std::string> label{};
  std::optional<std::string> catalogue{};
};

/// A track's album fields to change (album.hpp's rules); empty fields are left as they are.
struct TrackUpdate {
  std::optional<std::string> title{};
  std::optional<std::string> performer{};
  std::optional<std::string> songwriter{};
  std::optional<std::string> isrc{};
  std::optional<double> pregap_s{};  ///< tracks.gap_before_s
  std::optional<double> crossfade_s{};
  std::optional<std::string> side{};
  std::optional<std::optional<Id>> snapshot_id{};  ///< a held nullopt: the schema's defaults
};

/// What the album shows of a file's newest source analysis; a level of silence is empty.
struct SourceFigures {
  std::optional<double> integrated_lufs{};
  std::optional<double> lra_lu{};
  std::optional<double> true_peak_dbtp{};
  std::optional<double> duration_s{};
};

/// What a new note holds.
struct NewNote {
  Id session_id = 0;
  std::optional<Id> track_id{};
  double time_s = 0.0;
  std::optional<Id> author_client_id{};
  std::string author{};
  std::string text{};
  std::optional<Id> snapshot_id{};
  std::optional<CompareState> compare_state{};
  std::optional<Id> reference_id{};  ///< the reference track heard, with CompareState::reference
};

/// What a new reference track holds; the file is hashed as for NewTrack.
struct NewReference {
  Id session_id = 0;
  std::string file_path{};
  std::string file_sha256{};
  std::string title{};
};

/// Which notes to list; empty fields do not filter.
struct NoteFilter {
  std::optional<Id> session_id{};
  std::optional<Id> track_id{};
  std::optional<NoteStatus> status{};
};

/// A client record just made, with the token to hand over once (it is not stored).
struct Invitation {
  Client client{};
  std::string token{};
};

/// Figures of a finished backup.
struct BackupStats {
  std::filesystem::path path{};  ///< the file written
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
};

class Store {
 public:
  struct Options {
    int busy_timeout_ms = 5000;  ///< how long to wait for another connection's lock
    bool read_only = false;      ///< open without migrating and refuse writes
  };

  /// Opens (creating when missing, with its folder) and migrates the database at `path`.
  /// Throws OpenError when the file cannot be opened, is not a Lacquer database, has a
  /// newer schema than this build, or a migration fails.
  static std::unique_ptr<Store> open(const std::filesystem::path& path, Options options);
  static std::unique_ptr<Store> open(const std::filesystem::path& path);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const noexcept;

  /// The schema version of the open file (equal to kSchemaVersion after open()).
  int schema_version() const;

  // Sessions ------------------------------------------------------------------------

  /// Creates a session (status open) and returns it.
  Result<Session> create_session(const NewSession& s);
  Result<Session> session(Id id) const;
  /// Every session, newest first.
  Result<std::vector<Session>> sessions() const;
  /// Sets the status; an approval is written with synchronous=FULL.
  Result<void> set_session_status(Id id, SessionStatus status);

  // Tracks --------------------------------------------------------------------------

  /// Adds a track; see NewTrack for the hash. Fails with invalid_argument on a bad ISRC
  /// or digest, constraint when the position is taken or the session is unknown.
  Result<Track> add_track(const NewTrack& t);
  Result<Track> track(Id id) const;
  /// A session's tracks in order.
  Result<std::vector<Track>> tracks(Id session_id) const;

  // The album (album.hpp) -----------------------------------------------------------

  /// Changes a session's release metadata. invalid_argument with the field and rule for a
  /// refused value (nothing is written then), not_found for an unknown session.
  Result<Session> update_release(Id session_id, const ReleaseUpdate& u);
  /// Changes a track's album fields; the whole album must still pass validate_album()
  /// (a crossfade within the previous track), else nothing is written. A snapshot_id
  /// must be a snapshot of this track; it becomes the track's applied snapshot.
  Result<Track> update_track(Id track_id, const TrackUpdate& u);
  /// Puts a session's tracks in the order of `track_ids` (every track of the session,
  /// once) at positions 1..N, in one transaction. The new first track's crossfade is set
  /// to 0 (nothing precedes it); the album must still pass validate_album().
  Result<std::vector<Track>> reorder_tracks(Id session_id, const std::vector<Id>& track_ids);
  /// Figures of the newest source report labelled `file_sha256` (any session), read in
  /// SQL without parsing the report's curves; empty when the file was not analysed or its
  /// analysis failed.
  Result<std::optional<SourceFigures>> source_figures(std::string_view file_sha256) const;

  // Snapshots -----------------------------------------------------------------------

  /// Stores a new version of a track's chain state. `state` must be an object whose
  /// keys are paths ("/chain/eq/1/gain") and whose values are numbers, strings or
  /// booleans. The new snapshot becomes the track's applied snapshot.
  Result<Snapshot> store_snapshot(Id track_id, std::string_view name, const nlohmann::json& state);
  Result<Snapshot> snapshot(Id id) const;
  /// The newest snapshot of a track with that name.
  Result<Snapshot> snapshot_by_name(Id track_id, std::string_view name) const;
  /// A track's snapshots, oldest version first.
  Result<std::vector<Snapshot>> snapshots(Id track_id) const;
  /// Makes a stored snapshot the track's applied one and returns it, for the caller to
  /// apply to the chain.
  Result<Snapshot> recall_snapshot(Id snapshot_id);
  /// Paths whose values differ between two snapshots, sorted by path.
  Result<std::vector<SnapshotChange>> diff_snapshots(Id from_id, Id to_id) const;

  // Clients -------------------------------------------------------------------------

  /// Creates a client with a fresh random token (returned once, stored as its hash).
  Result<Invitation> create_client(std::string_view name, Role role,
                                   std::optional<std::int64_t> expires_unix_ms = {});
  /// Creates a client for a token chosen elsewhere (the engineer token from the
  /// environment or config). Fails with constraint when that token is already stored.
  Result<Client> add_client_with_token(std::string_view name, Role role, std::string_view token,
                                       std::optional<std::int64_t> expires_unix_ms = {});
  Result<Client> client(Id id) const;
  Result<std::vector<Client>> clients() const;
  /// Lets a client into a session (idempotent).
  Result<void> invite(Id client_id, Id session_id);
  /// Revokes a client's token for good.
  Result<void> revoke_client(Id client_id);
  /// The client owning `token`; unauthorized when unknown, revoked or expired at `now`.
  Result<Client> authenticate(std::string_view token, std::int64_t now_unix_ms) const;
  Result<Client> authenticate(std::string_view token) const;
  /// Whether a client may read and write notes of a session (engineers may everywhere).
  static bool may_access(const Client& c, Id session_id) noexcept;

  // Reference tracks: masters the client points to, played unprocessed ---------------

  /// Adds a reference after the session's last one.
  Result<ReferenceTrack> add_reference(const NewReference& r);
  /// A session's references in order.
  Result<std::vector<ReferenceTrack>> references(Id session_id) const;
  Result<ReferenceTrack> reference(Id id) const;
  /// Removes a reference; notes that heard it keep their text and lose the link.
  Result<void> remove_reference(Id id);

  // Room calibration: speakers measured, per speaker set -----------------------------

  /// Stores a measurement of `speaker` of `speaker_set`, dated now. `result` must be an
  /// object with finite numbers delay_ms and level_db (what the monitor path aligns by);
  /// `kind` is "measurement" or "verification".
  Result<Calibration> add_calibration(std::string_view speaker_set, std::string_view speaker,
                                      const nlohmann::json& result,
                                      std::string_view kind = "measurement");
  /// The newest calibration of `kind` of every speaker of `speaker_set` (of every set when
  /// empty), ordered by set and speaker.
  Result<std::vector<Calibration>> latest_calibrations(std::string_view speaker_set = {},
                                                       std::string_view kind = "measurement") const;
  /// Every measurement of one speaker, newest first.
  Result<std::vector<Calibration>> calibration_history(std::string_view speaker_set,
                                                       std::string_view speaker) const;

  // Notes ---------------------------------------------------------------------------

  /// Stores a note with synchronous=FULL and returns its id only after the commit, so
  /// an acknowledged note survives a crash of the process.
  Result<Note> add_note(const NewNote& n);
  Result<Note> note(Id id) const;
  /// Notes matching the filter, in session, track and time order.
  Result<std::vector<Note>> notes(const NoteFilter& filter) const;
  /// Marks a note resolved by `by` (durable like add_note).
  Result<Note> resolve_note(Id id, std::string_view by);
  /// Opens a resolved note again.
  Result<Note> reopen_note(Id id);

  // Observations and reports --------------------------------------------------------

  Result<Observation> add_observation(Id session_id, std::optional<Id> track_id,
                                      std::string_view topic, std::string_view text);
  /// A session's observations, oldest first.
  Result<std::vector<Observation>> observations(Id session_id) const;

  /// Stores an analysis JSON (must be an object).
  Result<Report> add_report(Id session_id, std::optional<Id> track_id, ReportKind kind,
                            std::string_view label, const nlohmann::json& data);
  Result<Report> report(Id id) const;
  /// A session's reports, oldest first.
  Result<std::vector<Report>> reports(Id session_id) const;
  /// Reports of `kind` labelled `label` in any session, newest first (a source report's
  /// label is the file's SHA-256, so one analysis serves every track of that file).
  Result<std::vector<Report>> reports_labelled(ReportKind kind, std::string_view label) const;

  // Feedback loop and maintenance ---------------------------------------------------

  /// The summary across every session of the scope (see feedback.hpp).
  Result<FeedbackSummary> feedback(const FeedbackScope& scope,
                                   const FeedbackOptions& options = {}) const;

  /// Copies the open database to `dest` through this connection (see backup.hpp for a
  /// copy from another thread or process).
  Result<BackupStats> backup(const std::filesystem::path& dest) const;

  /// PRAGMA integrity_check: "ok" or the problems SQLite lists.
  Result<std::string> integrity_check() const;

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The database file: $LACQUER_DB, else $XDG_STATE_HOME/lacquer/lacquer.db, else
/// ~/.local/state/lacquer/lacquer.db.
std::filesystem::path default_database_path();

/// The database file a command was given (--db, the config), or default_database_path()
/// when that is empty.
std::filesystem::path database_path(const std::string& given);

/// Copies the database at `source` to `dest` on a connection of its own, in steps, so
/// writers on other connections keep going. Writes `dest` under a temporary name and
/// renames it when complete; an existing `dest` is replaced only by a whole copy. When
/// `dest` is a folder the copy is named lacquer-YYYYMMDDTHHMMSSZ.db inside it.
Result<BackupStats> backup_database(const std::filesystem::path& source,
                                    const std::filesystem::path& dest);

}  // namespace lacquer::session
