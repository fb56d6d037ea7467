#include "sqlite.hpp"

#include <cerrno>
#include <cstring>

namespace lacquer::session::sqlite {

namespace {

// The errno of the failed call. sqlite3_system_errno() reads errno after SQLite has
// already made other calls, so ask the files themselves: the main file, then the
// write-ahead log (where commits are written).
int failed_errno(sqlite3* db) {
  if (!db) return 0;
  int e = 0;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_LAST_ERRNO, &e);
  if (e != 0) return e;
  sqlite3_file* log = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &log) == SQLITE_OK && log &&
      log->pMethods) {
    log->pMethods->xFileControl(log, SQLITE_FCNTL_LAST_ERRNO, &e);
  }
  return e != 0 ? e : sqlite3_system_errno(db);
}

ErrorCode classify(sqlite3* db, int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::busy;
    case SQLITE_FULL:
      return ErrorCode::disk_full;
    case SQLITE_CONSTRAINT:
      return ErrorCode::constraint;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::corrupt;
    case SQLITE_NOTFOUND:
      return ErrorCode::not_found;
    case SQLITE_IOERR: {
      // A write refused for lack of space or by a file size limit is a full disk to
      // the person reading the message, whichever code SQLite chose.
      const int e = failed_errno(db);
      if (e == ENOSPC || e == EFBIG || e == EDQUOT) return ErrorCode::disk_full;
      return ErrorCode::io_error;
    }
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      return ErrorCode::io_error;
    default:
      return ErrorCode::internal;
  }
}

}  // namespace

Error make_error(sqlite3* db, int rc, std::string_view what) {
  const ErrorCode code = classify(db, rc);
  std::string msg(what);
  msg += ": ";
  if (code == ErrorCode::disk_full) msg += "disk full; ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int e = failed_errno(db);
  if (e != 0 && (code == ErrorCode::disk_full || code == ErrorCode::io_error)) {
    msg += " (";
    msg += std::strerror(e);
    msg += ")";
  }
  return {code, std::move(msg)};
}

Result<bool> Statement::step(std::string_view what) {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return make_error(db_, rc, what);
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

Connection::Connection(const std::filesystem::path& path, int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + path.string() + ": " +
                      (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw OpenError(msg);
  }
}

Connection::~Connection() {
  sqlite3_close_v2(db_);
}

Result<void> Connection::exec(std::string_view sql, std::string_view what) const {
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return make_error(db_, rc, what);
  return {};
}

Result<Statement> Connection::prepare(std::string_view sql, std::string_view what) const {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return make_error(db_, rc, what);
  }
  return Statement(db_, stmt);
}

Result<std::int64_t> Connection::scalar(std::string_view sql, std::string_view what) const {
  auto st = prepare(sql, what);
  if (!st) return st.error();
  auto row = st->step(what);
  if (!row) return row.error();
  if (!*row) return Error{ErrorCode::not_found, std::string(what) + ": no result"};
  return st->int64(0);
}

Transaction::~Transaction() {
  // A failed COMMIT (full disk, busy) leaves the transaction open: end it here.
  if (open_ && !sqlite3_get_autocommit(c_.get())) {
    sqlite3_exec(c_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Result<void> Transaction::begin(std::string_view what) {
  auto r = c_.exec("BEGIN IMMEDIATE", what);
  open_ = r.ok();
  return r;
}

Result<void> Transaction::commit(std::string_view what) {
  auto r = c_.exec("COMMIT", what);
  if (r) open_ = false;
  return r;
}

FullSync::FullSync(const Connection& c) noexcept : c_(c) {
  sqlite3_exec(c_.get(), "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
}

FullSync::~FullSync() {
  sqlite3_exec(c_.get(), "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
}

}  // namespace lacquer::session::sqlite
