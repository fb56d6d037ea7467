// The migrations, oldest first. A released migration is never edited: a change to the
// schema is a new entry at the end (and kSchemaVersion + 1).
#include "lacquer/session/schema.hpp"

#include <array>

namespace lacquer::session {

namespace {

constexpr std::string_view kV1 = R"sql(
PRAGMA application_id = 1279345489;

CREATE TABLE sessions (
  id              INTEGER PRIMARY KEY,
  title           TEXT NOT NULL CHECK (length(title) > 0),
  artist          TEXT NOT NULL DEFAULT '',
  client          TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'attended', 'approved', 'delivered')),
  created_unix_ms INTEGER NOT NULL
);

CREATE TABLE tracks (
  id              INTEGER PRIMARY KEY,
  session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  position        INTEGER NOT NULL CHECK (position >= 1),
  file_path       TEXT NOT NULL,
  file_sha256     TEXT NOT NULL CHECK (length(file_sha256) = 64),
  title           TEXT NOT NULL DEFAULT '',
  isrc            TEXT NOT NULL DEFAULT '' CHECK (isrc = '' OR length(isrc) = 12),
  gap_before_s    REAL NOT NULL DEFAULT 0 CHECK (gap_before_s >= 0),
  target          TEXT NOT NULL DEFAULT '',
  snapshot_id     INTEGER REFERENCES snapshots(id) ON DELETE SET NULL,
  created_unix_ms INTEGER NOT NULL,
  UNIQUE (session_id, position)
);
CREATE INDEX tracks_by_snapshot ON tracks(snapshot_id);

CREATE TABLE snapshots (
  id              INTEGER PRIMARY KEY,
  track_id        INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  version         INTEGER NOT NULL CHECK (version >= 1),
  name            TEXT NOT NULL DEFAULT '',
  state_json      TEXT NOT NULL
                  CHECK (json_valid(state_json) AND json_type(state_json) = 'object'),
  created_unix_ms INTEGER NOT NULL,
  UNIQUE (track_id, version)
);
CREATE INDEX snapshots_by_name ON snapshots(track_id, name);

CREATE TABLE clients (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL CHECK (length(name) > 0),
  role            TEXT NOT NULL CHECK (role IN ('engineer', 'client')),
  token_sha256    TEXT NOT NULL UNIQUE CHECK (length(token_sha256) = 64),
  revoked         INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  expires_unix_ms INTEGER,
  created_unix_ms INTEGER NOT NULL
);

CREATE TABLE client_sessions (
  client_id  INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  PRIMARY KEY (client_id, session_id)
) WITHOUT ROWID;
CREATE INDEX client_sessions_by_session ON client_sessions(session_id);

CREATE TABLE notes (
  id               INTEGER PRIMARY KEY,
  session_id       INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  track_id         INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
  time_s           REAL NOT NULL CHECK (time_s >= 0),
  author_client_id INTEGER REFERENCES clients(id) ON DELETE SET NULL,
  author           TEXT NOT NULL,
  text             TEXT NOT NULL CHECK (length(text) > 0),
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  created_unix_ms  INTEGER NOT NULL,
  resolved_unix_ms INTEGER,
  resolved_by      TEXT NOT NULL DEFAULT '',
  snapshot_id      INTEGER REFERENCES snapshots(id) ON DELETE SET NULL,
  compare_state    TEXT CHECK (compare_state IN ('chain', 'bypass', 'A', 'B'))
);
CREATE INDEX notes_by_session ON notes(session_id, track_id, time_s);
CREATE INDEX notes_by_track ON notes(track_id);
CREATE INDEX notes_by_author ON notes(author_client_id);
CREATE INDEX notes_by_snapshot ON notes(snapshot_id);
)sql";

constexpr std::string_view kV2 = R"sql(
CREATE TABLE observations (
  id              INTEGER PRIMARY KEY,
  session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  track_id        INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
  topic           TEXT NOT NULL DEFAULT '',
  text            TEXT NOT NULL CHECK (length(text) > 0),
  created_unix_ms INTEGER NOT NULL
);
CREATE INDEX observations_by_session ON observations(session_id);
CREATE INDEX observations_by_track ON observations(track_id);

CREATE TABLE reports (
  id              INTEGER PRIMARY KEY,
  session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  track_id        INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
  kind            TEXT NOT NULL CHECK (kind IN ('source', 'render', 'deliverable')),
  label           TEXT NOT NULL DEFAULT '',
  report_json     TEXT NOT NULL
                  CHECK (json_valid(report_json) AND json_type(report_json) = 'object'),
  created_unix_ms INTEGER NOT NULL
);
CREATE INDEX reports_by_session ON reports(session_id, kind);
CREATE INDEX reports_by_track ON reports(track_id);
)sql";

constexpr std::string_view kV3 = R"sql(
ALTER TABLE sessions ADD COLUMN studio TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_by_client ON sessions(client COLLATE NOCASE);
CREATE INDEX sessions_by_studio ON sessions(studio COLLATE NOCASE);
)sql";

// The album: release metadata of a session and each track's credits, crossfade and vinyl
// side (album.hpp holds the rules; the checks here keep hand edits of the file honest).
constexpr std::string_view kV4 = R"sql(
ALTER TABLE sessions ADD COLUMN year INTEGER CHECK (year IS NULL OR year BETWEEN 1900 AND 2100);
ALTER TABLE sessions ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN catalogue TEXT NOT NULL DEFAULT ''
  CHECK (catalogue = '' OR (length(catalogue) IN (12, 13) AND catalogue NOT GLOB '*[^0-9]*'));
ALTER TABLE tracks ADD COLUMN performer TEXT NOT NULL DEFAULT '';
ALTER TABLE tracks ADD COLUMN songwriter TEXT NOT NULL DEFAULT '';
ALTER TABLE tracks ADD COLUMN crossfade_s REAL NOT NULL DEFAULT 0
  CHECK (crossfade_s >= 0 AND crossfade_s <= 30);
ALTER TABLE tracks ADD COLUMN side TEXT NOT NULL DEFAULT '' CHECK (side = '' OR side GLOB '[A-Z]');
CREATE INDEX reports_by_label ON reports(kind, label);
)sql";

// Notes are rebuilt to widen compare_state (a CHECK cannot be altered in place).
constexpr std::string_view kV5 = R"sql(
CREATE TABLE reference_tracks (
  id              INTEGER PRIMARY KEY,
  session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  position        INTEGER NOT NULL CHECK (position >= 1),
  file_path       TEXT NOT NULL,
  file_sha256     TEXT NOT NULL CHECK (length(file_sha256) = 64),
  title           TEXT NOT NULL DEFAULT '',
  created_unix_ms INTEGER NOT NULL,
  UNIQUE (session_id, position)
);

CREATE TABLE notes_v5 (
  id               INTEGER PRIMARY KEY,
  session_id       INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  track_id         INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
  time_s           REAL NOT NULL CHECK (time_s >= 0),
  author_client_id INTEGER REFERENCES clients(id) ON DELETE SET NULL,
  author           TEXT NOT NULL,
  text             TEXT NOT NULL CHECK (length(text) > 0),
  status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  created_unix_ms  INTEGER NOT NULL,
  resolved_unix_ms INTEGER,
  resolved_by      TEXT NOT NULL DEFAULT '',
  snapshot_id      INTEGER REFERENCES snapshots(id) ON DELETE SET NULL,
  compare_state    TEXT CHECK (compare_state IN ('chain', 'bypass', 'A', 'B', 'reference')),
  reference_id     INTEGER REFERENCES reference_tracks(id) ON DELETE SET NULL
);
INSERT INTO notes_v5 (id, session_id, track_id, time_s, author_client_id, author, text, status,
                      created_unix_ms, resolved_unix_ms, resolved_by, snapshot_id, compare_state)
  SELECT id, session_id, track_id, time_s, author_client_id, author, text, status,
         created_unix_ms, resolved_unix_ms, resolved_by, snapshot_id, compare_state FROM notes;
DROP TABLE notes;
ALTER TABLE notes_v5 RENAME TO notes;
CREATE INDEX notes_by_session ON notes(session_id, track_id, time_s);
CREATE INDEX notes_by_track ON notes(track_id);
CREATE INDEX notes_by_author ON notes(author_client_id);
CREATE INDEX notes_by_snapshot ON notes(snapshot_id);
CREATE INDEX notes_by_reference ON notes(reference_id);
)sql";

// A speaker's measurement (lacquer calibrate's JSON), per speaker set and speaker, with its
// date; the newest of each speaker is what the monitor path applies.
constexpr std::string_view kV6 = R"sql(
CREATE TABLE calibrations (
  id              INTEGER PRIMARY KEY,
  speaker_set     TEXT NOT NULL CHECK (length(speaker_set) > 0),
  speaker         TEXT NOT NULL CHECK (length(speaker) > 0),
  result_json     TEXT NOT NULL
                  CHECK (json_valid(result_json) AND json_type(result_json) = 'object'),
  created_unix_ms INTEGER NOT NULL
);
CREATE INDEX calibrations_by_speaker ON calibrations(speaker_set, speaker, created_unix_ms);
)sql";

// A measurement taken again through the speaker's correction (its "after" response) is kept
// beside the measurements but never applied: only kind 'measurement' aligns and corrects.
constexpr std::string_view kV7 = R"sql(
ALTER TABLE calibrations ADD COLUMN kind TEXT NOT NULL DEFAULT 'measurement'
  CHECK (kind IN ('measurement', 'verification'));
)sql";

constexpr std::array<Migration, 7> kMigrations{{
    {1, "sessions, tracks, snapshots, clients and their invitations, notes", kV1},
    {2, "observations reported back and analysis reports", kV2},
    {3, "the studio a session's mixes came from, indexes for the feedback queries", kV3},
    {4, "the album: year, label and catalogue of a session; performer, songwriter, "
        "crossfade and vinyl side of a track; reports found by label", kV4},
    {5, "reference tracks; a note records the reference heard and may say it was one", kV5},
    {6, "room calibrations per speaker set and speaker, with their date", kV6},
    {7, "a calibration's kind: a measurement, or its verification through the correction", kV7},
}};

static_assert(kMigrations.size() == kSchemaVersion);
static_assert(kApplicationId == 1279345489);

}  // namespace

std::span<const Migration> migrations() noexcept {
  return kMigrations;
}

}  // namespace lacquer::session
