// Opening and migrating the store; sessions and tracks.
#include <pwd.h>
#include <unistd.h>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "lacquer/session/album.hpp"
#include "lacquer/session/schema.hpp"
#include "lacquer/session/sha256.hpp"
#include "lacquer/session/store.hpp"
#include "store_impl.hpp"

namespace lacquer::session {

namespace {

using detail::invalid;
using detail::not_found;

std::int64_t pragma_int(const sqlite::Connection& db, std::string_view sql,
                        const std::filesystem::path& path) {
  auto v = db.scalar(sql, "read " + std::string(sql));
  if (!v) throw OpenError("cannot read " + path.string() + ": " + v.error().message);
  return *v;
}

// Refuses files this build must not touch; returns the schema version found.
int check_identity(const sqlite::Connection& db, const std::filesystem::path& path) {
  const auto version = pragma_int(db, "PRAGMA user_version", path);
  if (version > kSchemaVersion) {
    throw OpenError("database " + path.string() + " has schema version " + std::to_string(version) +
                    ", newer than version " + std::to_string(kSchemaVersion) +
                    " which this lacquer understands; run a newer lacquer (or restore a "
                    "backup made before the upgrade)");
  }
  if (version > 0) {
    const auto app = pragma_int(db, "PRAGMA application_id", path);
    if (app != kApplicationId) {
      throw OpenError("database " + path.string() + " is not a Lacquer database (application_id " +
                      std::to_string(app) + ")");
    }
  } else {
    const auto tables =
        pragma_int(db, "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'", path);
    if (tables > 0) {
      throw OpenError("database " + path.string() +
                      " holds tables but no Lacquer schema version; refusing to modify it");
    }
  }
  return static_cast<int>(version);
}

// check_identity() in one read transaction, so that the version and the table count come
// from the same state of the file while another process may be migrating it.
int read_identity(const sqlite::Connection& db, const std::filesystem::path& path) {
  if (auto r = db.exec("BEGIN", "begin identity check"); !r) {
    throw OpenError("cannot open " + path.string() + ": " + r.error().message);
  }
  int version = 0;
  try {
    version = check_identity(db, path);
  } catch (...) {
    (void)db.exec("ROLLBACK", "end identity check");
    throw;
  }
  if (auto r = db.exec("COMMIT", "end identity check"); !r) {
    throw OpenError("cannot open " + path.string() + ": " + r.error().message);
  }
  return version;
}

// Each step takes the write lock, re-reads the version (another process may have just
// migrated) and commits the schema change together with its version.
void migrate(const sqlite::Connection& db, const std::filesystem::path& path) {
  for (;;) {
    sqlite::Transaction tx(db);
    if (auto r = tx.begin("begin migration"); !r) {
      throw OpenError("cannot migrate " + path.string() + ": " + r.error().message);
    }
    const int version = check_identity(db, path);
    if (version == kSchemaVersion) return;
    const Migration& m = migrations()[static_cast<std::size_t>(version)];
    const std::string what = "migration to schema version " + std::to_string(m.version);
    auto r = db.exec(m.sql, what);
    if (r) r = db.exec("PRAGMA user_version = " + std::to_string(m.version), what);
    if (r) r = tx.commit(what);
    if (!r) throw OpenError("cannot migrate " + path.string() + ": " + r.error().message);
  }
}

constexpr std::string_view kSessionColumns =
    "id, title, artist, client, studio, status, created_unix_ms, year, label, catalogue";

Session read_session(const sqlite::Statement& st) {
  Session s;
  s.id = st.int64(0);
  s.title = st.text(1);
  s.artist = st.text(2);
  s.client = st.text(3);
  s.studio = st.text(4);
  s.status = parse_session_status(st.text(5)).value_or(SessionStatus::open);
  s.created_unix_ms = st.int64(6);
  if (const auto year = st.opt_int64(7)) s.year = static_cast<int>(*year);
  s.label = st.text(8);
  s.catalogue = st.text(9);
  return s;
}

constexpr std::string_view kTrackColumns =
    "id, session_id, position, file_path, file_sha256, title, isrc, gap_before_s, target, "
    "snapshot_id, created_unix_ms, performer, songwriter, crossfade_s, side";

Track read_track(const sqlite::Statement& st) {
  Track t;
  t.id = st.int64(0);
  t.session_id = st.int64(1);
  t.position = st.integer(2);
  t.file_path = st.text(3);
  t.file_sha256 = st.text(4);
  t.title = st.text(5);
  t.isrc = st.text(6);
  t.gap_before_s = st.real(7);
  t.target = st.text(8);
  t.snapshot_id = st.opt_int64(9);
  t.created_unix_ms = st.int64(10);
  t.performer = st.text(11);
  t.songwriter = st.text(12);
  t.crossfade_s = st.real(13);
  t.side = st.text(14);
  return t;
}

std::optional<std::string> normalize_sha256(std::string_view in) {
  if (in.size() != 64) return std::nullopt;
  std::string s;
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isxdigit(u)) return std::nullopt;
    s += static_cast<char>(std::tolower(u));
  }
  return s;
}

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

std::unique_ptr<Store> Store::open(const std::filesystem::path& path) {
  return open(path, Options{});
}

std::unique_ptr<Store> Store::open(const std::filesystem::path& path, Options options) {
  int flags = SQLITE_OPEN_READONLY;
  if (!options.read_only) {
    flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec) {
        throw OpenError("cannot create folder " + path.parent_path().string() + ": " +
                        ec.message());
      }
    }
  }
  auto impl = std::make_unique<Impl>(path, flags);
  const auto& db = impl->db;
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  const int version = read_identity(db, path);
  if (options.read_only) {
    if (version != kSchemaVersion) {
      throw OpenError("database " + path.string() + " has schema version " +
                      std::to_string(version) + "; open it once read-write to migrate it to " +
                      std::to_string(kSchemaVersion));
    }
  } else {
    // WAL: readers (backups, `lacquer feedback`) never block the writer. NORMAL is
    // durable against a crash of the process; FullSync raises it to FULL for the
    // records that cannot be recreated.
    // Switching a new file to WAL needs it to itself; SQLite reports busy at once (without
    // the busy handler) while another connection opening it is between statements, so the
    // switch is retried for the busy timeout.
    const auto set_wal = [&db] {
      return detail::query_one<std::string>(
          db, "PRAGMA journal_mode=WAL", "set WAL mode", Error{ErrorCode::internal, "no mode"},
          [](const sqlite::Statement& st) { return st.text(0); });
    };
    auto mode = set_wal();
    for (int waited_ms = 0; !mode && mode.error().code == ErrorCode::busy &&
                            waited_ms < options.busy_timeout_ms;
         waited_ms += 5) {
      sqlite3_sleep(5);
      mode = set_wal();
    }
    if (!mode || *mode != "wal") {
      throw OpenError("cannot switch " + path.string() + " to WAL mode" +
                      (mode ? std::string() : ": " + mode.error().message));
    }
    if (auto r = db.exec("PRAGMA synchronous=NORMAL", "set synchronous"); !r) {
      throw OpenError("cannot open " + path.string() + ": " + r.error().message);
    }
  }
  if (auto r = db.exec("PRAGMA foreign_keys=ON", "enable foreign keys"); !r) {
    throw OpenError("cannot open " + path.string() + ": " + r.error().message);
  }
  if (!options.read_only) migrate(db, path);
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

const std::filesystem::path& Store::path() const noexcept {
  return impl_->path;
}

int Store::schema_version() const {
  auto v = impl_->db.scalar("PRAGMA user_version", "read schema version");
  return v ? static_cast<int>(*v) : -1;
}

Result<std::string> Store::integrity_check() const {
  auto rows =
      detail::query_all<std::string>(impl_->db, "PRAGMA integrity_check", "integrity check",
                                     [](const sqlite::Statement& st) { return st.text(0); });
  if (!rows) return rows.error();
  std::string out;
  for (const auto& line : *rows) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

// Sessions ------------------------------------------------------------------------

Result<Session> Store::create_session(const NewSession& s) {
  if (s.title.empty()) return invalid("a session needs a title");
  const auto now = now_unix_ms();
  auto r = impl_->db.run(
      "INSERT INTO sessions (title, artist, client, studio, created_unix_ms) "
      "VALUES (?, ?, ?, ?, ?)",
      "create session", s.title, s.artist, s.client, s.studio, now);
  if (!r) return r.error();
  return Session{impl_->db.last_insert_rowid(), s.title, s.artist, s.client, s.studio,
                 SessionStatus::open,           now};
}

Result<Session> Store::session(Id id) const {
  return detail::query_one<Session>(
      impl_->db, "SELECT " + std::string(kSessionColumns) + " FROM sessions WHERE id = ?",
      "read session", not_found("session", id), read_session, id);
}

Result<std::vector<Session>> Store::sessions() const {
  return detail::query_all<Session>(impl_->db,
                                    "SELECT " + std::string(kSessionColumns) +
                                        " FROM sessions ORDER BY created_unix_ms DESC, id DESC",
                                    "list sessions", read_session);
}

Result<void> Store::set_session_status(Id id, SessionStatus status) {
  // An approval is the client's word and cannot be recreated: make it as durable as a note.
  std::optional<sqlite::FullSync> full;
  if (status == SessionStatus::approved) full.emplace(impl_->db);
  auto r = impl_->db.run("UPDATE sessions SET status = ? WHERE id = ?", "set session status",
                         to_string(status), id);
  if (!r) return r;
  if (impl_->db.changes() == 0) return not_found("session", id);
  return {};
}

// Tracks --------------------------------------------------------------------------

Result<std::string> detail::file_digest(const std::string& path, const std::string& given) {
  if (given.empty()) return sha256_file(path);
  auto n = normalize_sha256(given);
  if (!n) return invalid("file_sha256 must be 64 hexadecimal digits");
  return *n;
}

Result<Track> Store::add_track(const NewTrack& t) {
  if (t.file_path.empty()) return invalid("a track needs a source file");
  if (auto gap = check_pregap(t.gap_before_s); !gap) return gap.error();
  if (t.position && *t.position < 1) return invalid("track positions start at 1");
  auto isrc = check_isrc(t.isrc);
  if (!isrc) return isrc.error();
  auto hashed = detail::file_digest(t.file_path, t.file_sha256);
  if (!hashed) return hashed.error();
  const std::string& digest = *hashed;

  const auto& db = impl_->db;
  sqlite::Transaction tx(db);
  if (auto r = tx.begin("add track"); !r) return r.error();
  auto exists = db.prepare("SELECT 1 FROM sessions WHERE id = ?", "add track");
  if (!exists) return exists.error();
  exists->bind_all(t.session_id);
  auto found = exists->step("add track");
  if (!found) return found.error();
  if (!*found) return not_found("session", t.session_id);

  int position = 0;
  if (t.position) {
    position = *t.position;
  } else {
    auto last = db.prepare("SELECT COALESCE(MAX(position), 0) FROM tracks WHERE session_id = ?",
                           "add track");
    if (!last) return last.error();
    last->bind_all(t.session_id);
    if (auto row = last->step("add track"); !row) return row.error();
    position = last->integer(0) + 1;
  }
  const auto now = now_unix_ms();
  auto r = db.run(
      "INSERT INTO tracks (session_id, position, file_path, file_sha256, title, isrc, "
      "gap_before_s, target, created_unix_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "add track", t.session_id, position, t.file_path, digest, t.title, *isrc, t.gap_before_s,
      t.target, now);
  if (!r) return r.error();
  const Id id = db.last_insert_rowid();
  if (auto c = tx.commit("add track"); !c) return c.error();
  return Track{id,   t.session_id,   position, t.file_path,  digest, t.title,
               *isrc, t.gap_before_s, t.target, std::nullopt, now};
}

Result<Track> Store::track(Id id) const {
  return detail::query_one<Track>(
      impl_->db, "SELECT " + std::string(kTrackColumns) + " FROM tracks WHERE id = ?", "read track",
      not_found("track", id), read_track, id);
}

Result<std::vector<Track>> Store::tracks(Id session_id) const {
  return detail::query_all<Track>(impl_->db,
                                  "SELECT " + std::string(kTrackColumns) +
                                      " FROM tracks WHERE session_id = ? ORDER BY position",
                                  "list tracks", read_track, session_id);
}

// Paths ---------------------------------------------------------------------------

std::filesystem::path database_path(const std::string& given) {
  return given.empty() ? default_database_path() : std::filesystem::path(given);
}

std::filesystem::path default_database_path() {
  if (const char* db = std::getenv("LACQUER_DB"); db && *db) return db;
  // XDG: a relative XDG_STATE_HOME is invalid and must be ignored.
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/') {
    return std::filesystem::path(state) / "lacquer" / "lacquer.db";
  }
  std::filesystem::path home;
  if (const char* h = std::getenv("HOME"); h && *h) {
    home = h;
  } else if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) {
    home = pw->pw_dir;
  } else {
    home = "/";
  }
  return home / ".local" / "state" / "lacquer" / "lacquer.db";
}

}  // namespace lacquer::session
