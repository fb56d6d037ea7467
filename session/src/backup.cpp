// Online backup with the SQLite backup API: a consistent copy while writers go on.
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "store_impl.hpp"

namespace lacquer::session {

namespace {

std::filesystem::path resolve_dest(const std::filesystem::path& dest) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dest, ec)) return dest;
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char name[64];
  std::strftime(name, sizeof name, "lacquer-%Y%m%dT%H%M%SZ.db", &utc);
  return dest / name;
}

// A rename is durable only once the folder holding the new name is synced.
void sync_folder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Result<BackupStats> detail::backup_from(sqlite3* src, const std::filesystem::path& requested) {
  const std::filesystem::path dest = resolve_dest(requested);
  std::filesystem::path partial = dest;
  partial += ".partial";
  std::error_code ec;
  std::filesystem::remove(partial, ec);

  BackupStats stats;
  stats.path = dest;
  {
    sqlite3* out = nullptr;
    int rc =
        sqlite3_open_v2(partial.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
      Error e = sqlite::make_error(out, rc, "backup: cannot create " + partial.string());
      sqlite3_close_v2(out);
      return e;
    }
    // The copy's last commit must reach the disk before it replaces an older backup.
    sqlite3_exec(out, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
    sqlite3_backup* b = sqlite3_backup_init(out, "main", src, "main");
    if (!b) {
      Error e = sqlite::make_error(out, sqlite3_errcode(out), "backup: cannot start");
      sqlite3_close_v2(out);
      std::filesystem::remove(partial, ec);
      return e;
    }
    // One step copies a consistent snapshot; in WAL mode it does not stop writers.
    // Busy or locked only when another connection holds the destination or a
    // rollback-mode source: wait and go on.
    do {
      rc = sqlite3_backup_step(b, -1);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    stats.pages = sqlite3_backup_pagecount(b);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      Error e = sqlite::make_error(out, rc, "backup to " + dest.string());
      sqlite3_close_v2(out);
      std::filesystem::remove(partial, ec);
      return e;
    }
    const int page_size = [&] {
      sqlite3_stmt* st = nullptr;
      int size = 0;
      if (sqlite3_prepare_v2(out, "PRAGMA page_size", -1, &st, nullptr) == SQLITE_OK &&
          sqlite3_step(st) == SQLITE_ROW) {
        size = sqlite3_column_int(st, 0);
      }
      sqlite3_finalize(st);
      return size;
    }();
    stats.bytes = stats.pages * page_size;
    rc = sqlite3_close(out);
    if (rc != SQLITE_OK) {
      sqlite3_close_v2(out);
      std::filesystem::remove(partial, ec);
      return Error{ErrorCode::io_error, "backup: cannot close " + partial.string()};
    }
  }
  // A log left by someone who opened the previous copy would be replayed onto the new
  // file; it belongs to the file being replaced.
  for (const char* suffix : {"-wal", "-shm"}) {
    std::filesystem::path stale = dest;
    stale += suffix;
    std::filesystem::remove(stale, ec);
  }
  std::filesystem::rename(partial, dest, ec);
  if (ec) {
    std::filesystem::remove(partial, ec);
    return Error{ErrorCode::io_error,
                 "backup: cannot rename " + partial.string() + " to " + dest.string()};
  }
  sync_folder(dest.parent_path());
  return stats;
}

Result<BackupStats> Store::backup(const std::filesystem::path& dest) const {
  return detail::backup_from(impl_->db.get(), dest);
}

Result<BackupStats> backup_database(const std::filesystem::path& source,
                                    const std::filesystem::path& dest) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(source, ec)) {
    return Error{ErrorCode::not_found, "backup: no database at " + source.string()};
  }
  try {
    sqlite::Connection src(source, SQLITE_OPEN_READONLY);
    sqlite3_busy_timeout(src.get(), 5000);
    return detail::backup_from(src.get(), dest);
  } catch (const OpenError& e) {
    return Error{ErrorCode::io_error, std::string("backup: ") + e.what()};
  }
}

}  // namespace lacquer::session
