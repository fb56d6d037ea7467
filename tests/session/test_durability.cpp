// Which writes sync the log. A VFS shim counts xSync calls on the write-ahead log: in WAL
// mode synchronous=NORMAL never syncs at a commit, FULL syncs at every commit, so the
// count tells which level each write ran at.
#include <atomic>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lacquer/session/store.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;

namespace {

sqlite3_vfs* g_real = nullptr;
std::atomic<int> g_log_syncs{0};

struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool log;
};

sqlite3_file* real(sqlite3_file* f) {
  return reinterpret_cast<ShimFile*>(f)->real;
}

int shim_close(sqlite3_file* f) {
  return real(f)->pMethods->xClose(real(f));
}
int shim_read(sqlite3_file* f, void* p, int n, sqlite3_int64 o) {
  return real(f)->pMethods->xRead(real(f), p, n, o);
}
int shim_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 o) {
  return real(f)->pMethods->xWrite(real(f), p, n, o);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 size) {
  return real(f)->pMethods->xTruncate(real(f), size);
}
int shim_sync(sqlite3_file* f, int flags) {
  if (reinterpret_cast<ShimFile*>(f)->log) ++g_log_syncs;
  return real(f)->pMethods->xSync(real(f), flags);
}
int shim_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
int shim_lock(sqlite3_file* f, int l) {
  return real(f)->pMethods->xLock(real(f), l);
}
int shim_unlock(sqlite3_file* f, int l) {
  return real(f)->pMethods->xUnlock(real(f), l);
}
int shim_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int shim_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
int shim_sector_size(sqlite3_file* f) {
  return real(f)->pMethods->xSectorSize(real(f));
}
int shim_device(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int shim_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** p) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, p);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) {
  real(f)->pMethods->xShmBarrier(real(f));
}
int shim_shm_unmap(sqlite3_file* f, int del) {
  return real(f)->pMethods->xShmUnmap(real(f), del);
}

// Version 2: memory-mapped I/O (version 3) is left out, SQLite then reads through xRead.
const sqlite3_io_methods kMethods = {2,
                                     shim_close,
                                     shim_read,
                                     shim_write,
                                     shim_truncate,
                                     shim_sync,
                                     shim_file_size,
                                     shim_lock,
                                     shim_unlock,
                                     shim_check_reserved,
                                     shim_file_control,
                                     shim_sector_size,
                                     shim_device,
                                     shim_shm_map,
                                     shim_shm_lock,
                                     shim_shm_barrier,
                                     shim_shm_unmap,
                                     nullptr,
                                     nullptr};

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out) {
  auto* s = reinterpret_cast<ShimFile*>(f);
  s->real = reinterpret_cast<sqlite3_file*>(s + 1);
  s->log = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = g_real->xOpen(g_real, name, s->real, flags, out);
  s->base.pMethods = (rc == SQLITE_OK && s->real->pMethods) ? &kMethods : nullptr;
  return rc;
}

sqlite3_vfs g_shim;

// Makes the shim the default VFS for the test's lifetime.
class CountingVfs {
 public:
  CountingVfs() {
    g_real = sqlite3_vfs_find(nullptr);
    g_shim = *g_real;
    g_shim.zName = "lacquer-sync-counter";
    g_shim.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_real->szOsFile;
    g_shim.xOpen = shim_open;
    g_shim.pNext = nullptr;
    sqlite3_vfs_register(&g_shim, 1);
  }
  ~CountingVfs() {
    sqlite3_vfs_unregister(&g_shim);
    sqlite3_vfs_register(g_real, 1);
  }
  CountingVfs(const CountingVfs&) = delete;
  CountingVfs& operator=(const CountingVfs&) = delete;
};

template <class F>
int log_syncs(F&& write) {
  g_log_syncs = 0;
  write();
  return g_log_syncs.load();
}

}  // namespace

TEST(Durability, IrreplaceableRecordsAreSyncedAtCommit) {
  ls::testing::TempDir dir;
  CountingVfs vfs;
  {
    auto store = ls::Store::open(dir / "sync.db");
    ls::Id session_id = 0;
    ls::Id note_id = 0;
    ls::Id client_id = 0;

    // Recreatable records: committed at NORMAL, no sync of the log.
    EXPECT_EQ(log_syncs([&] { session_id = store->create_session({.title = "S"})->id; }), 0);
    EXPECT_EQ(
        log_syncs([&] { ASSERT_TRUE(store->add_observation(session_id, {}, "low end", "boomy")); }),
        0);
    EXPECT_EQ(log_syncs([&] {
                ASSERT_TRUE(store->set_session_status(session_id, ls::SessionStatus::attended));
              }),
              0);

    // Notes, approvals and client records: FULL, the log synced at the commit.
    EXPECT_GE(log_syncs([&] {
                note_id =
                    store->add_note({.session_id = session_id, .author = "A", .text = "t"})->id;
              }),
              1);
    EXPECT_GE(log_syncs([&] { ASSERT_TRUE(store->resolve_note(note_id, "E")); }), 1);
    EXPECT_GE(log_syncs([&] {
                ASSERT_TRUE(store->set_session_status(session_id, ls::SessionStatus::approved));
              }),
              1);
    EXPECT_GE(
        log_syncs([&] { client_id = store->create_client("C", ls::Role::client)->client.id; }), 1);
    EXPECT_GE(log_syncs([&] { ASSERT_TRUE(store->invite(client_id, session_id)); }), 1);
    EXPECT_GE(log_syncs([&] { ASSERT_TRUE(store->revoke_client(client_id)); }), 1);

    // And back to NORMAL afterwards.
    EXPECT_EQ(log_syncs([&] { ASSERT_TRUE(store->add_observation(session_id, {}, "x", "y")); }), 0);
  }
}
