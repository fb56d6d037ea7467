// Migrations from version 0 and from every earlier version, and the refusals.
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lacquer/session/schema.hpp"
#include "lacquer/session/store.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;

namespace {

// A raw connection for building old databases the way an old binary left them.
class Raw {
 public:
  explicit Raw(const std::filesystem::path& p) { sqlite3_open(p.c_str(), &db_); }
  ~Raw() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << "\nin: " << sql;
  }
  long long scalar(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    long long v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
  }
  /// Applies migrations 1..version as the store does, one transaction each.
  void migrate_to(int version) {
    for (const auto& m : ls::migrations()) {
      if (m.version > version) break;
      exec("BEGIN IMMEDIATE;" + std::string(m.sql) +
           ";PRAGMA user_version = " + std::to_string(m.version) + ";COMMIT;");
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string open_error(const std::filesystem::path& p) {
  try {
    ls::Store::open(p);
  } catch (const ls::OpenError& e) {
    return e.what();
  }
  return {};
}

const char* kSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

}  // namespace

TEST(Migrations, NumberedInOrder) {
  const auto all = ls::migrations();
  ASSERT_EQ(static_cast<int>(all.size()), ls::kSchemaVersion);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(all[i].description.empty());
  }
}

TEST(Migrations, FromVersionZero) {
  ls::testing::TempDir dir;
  {
    Raw raw(dir / "empty.db");
    raw.exec("PRAGMA user_version = 0");  // an existing, empty SQLite file
  }
  auto store = ls::Store::open(dir / "empty.db");
  EXPECT_EQ(store->schema_version(), ls::kSchemaVersion);
  store.reset();
  Raw raw(dir / "empty.db");
  for (const char* table : {"sessions", "tracks", "snapshots", "clients", "client_sessions",
                            "notes", "observations", "reports"}) {
    EXPECT_EQ(raw.scalar(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                     "AND name = '") +
                         table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(raw.scalar("PRAGMA application_id"), ls::kApplicationId);
}

// Each earlier version, with the rows that version could hold, migrates to the current
// one and every row reads back through the store.
TEST(Migrations, FromEachEarlierVersionKeepsData) {
  for (int from = 1; from < ls::kSchemaVersion; ++from) {
    SCOPED_TRACE("from version " + std::to_string(from));
    ls::testing::TempDir dir;
    const auto path = dir / "old.db";
    {
      Raw raw(path);
      raw.migrate_to(from);
      ASSERT_EQ(raw.scalar("PRAGMA user_version"), from);
      raw.exec(
          "INSERT INTO sessions (id, title, artist, client, status, created_unix_ms) "
          "VALUES (7, 'Old Record', 'Halden', 'Orbit', 'approved', 1000);"
          "INSERT INTO tracks (id, session_id, position, file_path, file_sha256, title, "
          "created_unix_ms) VALUES (3, 7, 1, '/a.wav', '" +
          std::string(kSha) +
          "', 'A', 1000);"
          "INSERT INTO snapshots (id, track_id, version, name, state_json, created_unix_ms) "
          "VALUES (5, 3, 1, 'A', '{\"/chain/eq/1/gain\":1.5}', 1000);"
          "UPDATE tracks SET snapshot_id = 5 WHERE id = 3;"
          "INSERT INTO clients (id, name, role, token_sha256, created_unix_ms) "
          "VALUES (2, 'Mara', 'client', '" +
          std::string(kSha) +
          "', 1000);"
          "INSERT INTO client_sessions VALUES (2, 7);"
          "INSERT INTO notes (id, session_id, track_id, time_s, author, text, created_unix_ms, "
          "snapshot_id, compare_state) VALUES (11, 7, 3, 92.0, 'Mara', 'pumping', 1000, 5, 'A');");
      if (from >= 2) {
        raw.exec(
            "INSERT INTO observations (session_id, topic, text, created_unix_ms) "
            "VALUES (7, 'low end', 'boomy', 1000);"
            "INSERT INTO reports (session_id, kind, report_json, created_unix_ms) "
            "VALUES (7, 'render', '{\"limiter\":{\"max_gain_reduction_db\":2}}', 1000);");
      }
    }
    auto store = ls::Store::open(path);
    EXPECT_EQ(store->schema_version(), ls::kSchemaVersion);
    auto s = store->session(7);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->title, "Old Record");
    EXPECT_EQ(s->status, ls::SessionStatus::approved);
    EXPECT_EQ(s->studio, "");  // added by version 3 with its default
    auto t = store->track(3);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->snapshot_id, 5);
    EXPECT_EQ(t->file_path, "/a.wav");
    EXPECT_EQ(t->title, "A");
    // Added by version 4 (the album) with their defaults.
    EXPECT_EQ(t->performer, "");
    EXPECT_EQ(t->songwriter, "");
    EXPECT_EQ(t->crossfade_s, 0.0);
    EXPECT_EQ(t->side, "");
    EXPECT_FALSE(s->year);
    EXPECT_EQ(s->label, "");
    EXPECT_EQ(s->catalogue, "");
    EXPECT_EQ(store->snapshot(5)->state["/chain/eq/1/gain"], 1.5);
    EXPECT_EQ(store->client(2)->sessions, std::vector<ls::Id>{7});
    auto n = store->note(11);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->compare_state, ls::CompareState::a);
    EXPECT_EQ(n->snapshot_id, 5);
    EXPECT_EQ(n->text, "pumping");
    EXPECT_FALSE(n->reference_id);  // added by version 5
    EXPECT_EQ(store->observations(7)->size(), from >= 2 ? 1u : 0u);
    EXPECT_EQ(store->reports(7)->size(), from >= 2 ? 1u : 0u);
    // The migrated file takes new rows of every kind.
    EXPECT_TRUE(store->create_session({.title = "New", .studio = "Blackbird"}));
    EXPECT_TRUE(store->add_observation(7, 3, "sibilance", "esses at 6 kHz"));
    EXPECT_TRUE(store->update_release(7, {.year = 2026, .catalogue = "4006381333931"}));
    EXPECT_TRUE(store->update_track(3, {.performer = "Halden", .side = "A"}));
    auto ref = store->add_reference({.session_id = 7, .file_path = "/ref.wav", .file_sha256 = kSha});
    ASSERT_TRUE(ref) << ref.error().message;
    auto heard = store->add_note({.session_id = 7, .track_id = 3, .time_s = 1.0, .author = "Mara",
                                  .text = "theirs", .compare_state = ls::CompareState::reference,
                                  .reference_id = ref->id});
    ASSERT_TRUE(heard) << heard.error().message;
    EXPECT_EQ(store->note(heard->id)->reference_id, ref->id);
    EXPECT_EQ(store->integrity_check().value(), "ok");
  }
}

TEST(Migrations, RefusesNewerSchema) {
  ls::testing::TempDir dir;
  const auto path = dir / "future.db";
  {
    Raw raw(path);
    raw.migrate_to(ls::kSchemaVersion);
    raw.exec("PRAGMA user_version = " + std::to_string(ls::kSchemaVersion + 1));
  }
  const auto msg = open_error(path);
  EXPECT_NE(msg.find("schema version " + std::to_string(ls::kSchemaVersion + 1)), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("newer"), std::string::npos) << msg;
  // Refused without a single change to the file.
  Raw raw(path);
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), ls::kSchemaVersion + 1);
}

TEST(Migrations, RefusesForeignFiles) {
  ls::testing::TempDir dir;
  {
    Raw raw(dir / "other-app.db");
    raw.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)");
  }
  EXPECT_NE(open_error(dir / "other-app.db").find("refusing"), std::string::npos);
  {
    Raw raw(dir / "other-id.db");
    raw.exec("CREATE TABLE t (x); PRAGMA user_version = 1; PRAGMA application_id = 42");
  }
  EXPECT_NE(open_error(dir / "other-id.db").find("not a Lacquer database"), std::string::npos);
  std::ofstream(dir / "text.db") << std::string(8192, 'x');
  EXPECT_NE(open_error(dir / "text.db").find("text.db"), std::string::npos);
}

// A migration that fails half-way leaves the file at the version before it.
TEST(Migrations, FailedMigrationRollsBack) {
  ls::testing::TempDir dir;
  const auto path = dir / "v2.db";
  {
    Raw raw(path);
    raw.migrate_to(2);
    // Version 3 adds sessions.studio, then this index name: the second step fails.
    raw.exec("CREATE INDEX sessions_by_client ON sessions(title)");
  }
  const auto msg = open_error(path);
  EXPECT_NE(msg.find("migration to schema version 3"), std::string::npos) << msg;
  Raw raw(path);
  EXPECT_EQ(raw.scalar("PRAGMA user_version"), 2);
  EXPECT_EQ(raw.scalar("SELECT count(*) FROM pragma_table_info('sessions') WHERE name = 'studio'"),
            0);
}

TEST(Migrations, ConcurrentOpensMigrateOnce) {
  ls::testing::TempDir dir;
  const auto path = dir / "race.db";
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        auto s = ls::Store::open(path);
        if (s->schema_version() == ls::kSchemaVersion) ++ok;
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
}

TEST(Migrations, ReadOnlyOpenOfOlderSchemaIsRefused) {
  ls::testing::TempDir dir;
  {
    Raw raw(dir / "v1.db");
    raw.migrate_to(1);
  }
  try {
    ls::Store::open(dir / "v1.db", {.read_only = true});
    ADD_FAILURE() << "opened";
  } catch (const ls::OpenError& e) {
    EXPECT_NE(std::string(e.what()).find("read-write"), std::string::npos) << e.what();
  }
}
