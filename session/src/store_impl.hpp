#pragma once
// What the Store's source files share: the connection and row helpers.

#include <filesystem>
#include <string>
#include <vector>

#include "lacquer/session/store.hpp"
#include "sqlite.hpp"

namespace lacquer::session {

struct Store::Impl {
  Impl(const std::filesystem::path& p, int flags) : path(p), db(p, flags) {}
  std::filesystem::path path;
  sqlite::Connection db;
};

namespace detail {

/// "what 42 not found".
inline Error not_found(std::string_view what, Id id) {
  return {ErrorCode::not_found, std::string(what) + " " + std::to_string(id) + " not found"};
}

inline Error invalid(std::string message) {
  return {ErrorCode::invalid_argument, std::move(message)};
}

/// The lower-case SHA-256 of a new track's file: `given` normalised, or the file hashed when
/// `given` is empty.
Result<std::string> file_digest(const std::string& path, const std::string& given);

/// Runs a query expected to give one row, read by `read(statement)`.
template <class T, class Read, class... Args>
Result<T> query_one(const sqlite::Connection& db, std::string_view sql, std::string_view what,
                    Error missing, Read read, const Args&... args) {
  auto st = db.prepare(sql, what);
  if (!st) return st.error();
  st->bind_all(args...);
  auto row = st->step(what);
  if (!row) return row.error();
  if (!*row) return missing;
  return read(*st);
}

/// Runs a query and reads every row with `read(statement)`.
template <class T, class Read, class... Args>
Result<std::vector<T>> query_all(const sqlite::Connection& db, std::string_view sql,
                                 std::string_view what, Read read, const Args&... args) {
  auto st = db.prepare(sql, what);
  if (!st) return st.error();
  st->bind_all(args...);
  std::vector<T> rows;
  for (;;) {
    auto row = st->step(what);
    if (!row) return row.error();
    if (!*row) break;
    rows.push_back(read(*st));
  }
  return rows;
}

/// Copies the database behind `src` to `dest` (see backup_database()).
Result<BackupStats> backup_from(sqlite3* src, const std::filesystem::path& dest);

/// The columns read_note() expects, in its order.
inline constexpr std::string_view kNoteColumns =
    "id, session_id, track_id, time_s, author_client_id, author, text, status, "
    "created_unix_ms, resolved_unix_ms, resolved_by, snapshot_id, compare_state, reference_id";

/// Reads a note from columns 0..13 as listed in kNoteColumns.
Note read_note(const sqlite::Statement& st);

/// Parses JSON stored by the store itself (checked by json_valid on the way in).
nlohmann::json parse_stored_json(const std::string& text);

}  // namespace detail

}  // namespace lacquer::session
