#pragma once
// A small RAII layer over the SQLite C API: a connection, prepared statements with
// typed binding, and a transaction that rolls back unless committed.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <sqlite3.h>

#include "lacquer/session/result.hpp"

namespace lacquer::session::sqlite {

/// Maps a SQLite result code on `db` to an Error whose message starts with `what`.
Error make_error(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), stmt_(std::exchange(o.stmt_, nullptr)) {}
  Statement& operator=(Statement&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(stmt_, o.stmt_);
    return *this;
  }

  /// Binds parameters 1..N in order.
  template <class... Args>
  void bind_all(const Args&... args) {
    int index = 1;
    (bind(index++, args), ...);
  }
  void bind(int index, std::int64_t v) { sqlite3_bind_int64(stmt_, index, v); }
  void bind(int index, int v) { sqlite3_bind_int(stmt_, index, v); }
  void bind(int index, bool v) { sqlite3_bind_int(stmt_, index, v ? 1 : 0); }
  void bind(int index, double v) { sqlite3_bind_double(stmt_, index, v); }
  void bind(int index, std::string_view v) {
    sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int index, const std::string& v) { bind(index, std::string_view(v)); }
  void bind(int index, const char* v) { bind(index, std::string_view(v)); }
  void bind(int index, std::nullopt_t) { sqlite3_bind_null(stmt_, index); }
  template <class T>
  void bind(int index, const std::optional<T>& v) {
    if (v) {
      bind(index, *v);
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }

  /// Advances: true with a row, false when done, or the error (named by `what`).
  Result<bool> step(std::string_view what);

  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  int integer(int col) const { return sqlite3_column_int(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>(int64(col));
  }
  std::optional<double> opt_real(int col) const {
    return is_null(col) ? std::nullopt : std::optional<double>(real(col));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

class Connection {
 public:
  /// Opens with the given SQLITE_OPEN_* flags; throws OpenError naming the path.
  Connection(const std::filesystem::path& path, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* get() const noexcept { return db_; }

  /// Runs one or more statements without results.
  Result<void> exec(std::string_view sql, std::string_view what) const;

  /// Prepares one statement.
  Result<Statement> prepare(std::string_view sql, std::string_view what) const;

  /// Prepares, binds and runs a statement that returns no rows.
  template <class... Args>
  Result<void> run(std::string_view sql, std::string_view what, const Args&... args) const {
    auto st = prepare(sql, what);
    if (!st) return st.error();
    st->bind_all(args...);
    auto r = st->step(what);
    if (!r) return r.error();
    return {};
  }

  /// The first column of the first row as an integer (a PRAGMA, a count).
  Result<std::int64_t> scalar(std::string_view sql, std::string_view what) const;

  /// Rows changed by the last statement.
  int changes() const noexcept { return sqlite3_changes(db_); }
  std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

 private:
  sqlite3* db_ = nullptr;
};

/// BEGIN IMMEDIATE (the write lock up front, so busy_timeout applies once, at the
/// start, instead of a deadlock-prone upgrade later); ROLLBACK unless committed.
class Transaction {
 public:
  explicit Transaction(const Connection& c) noexcept : c_(c) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Result<void> begin(std::string_view what);
  Result<void> commit(std::string_view what);

 private:
  const Connection& c_;
  bool open_ = false;
};

/// Sets PRAGMA synchronous=FULL for the writes in its scope and NORMAL again after:
/// in WAL mode FULL syncs the log at every commit, so the commit survives power loss.
class FullSync {
 public:
  explicit FullSync(const Connection& c) noexcept;
  ~FullSync();
  FullSync(const FullSync&) = delete;
  FullSync& operator=(const FullSync&) = delete;

 private:
  const Connection& c_;
};

}  // namespace lacquer::session::sqlite
