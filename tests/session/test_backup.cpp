// Online backup: a whole, consistent copy, also while another connection writes.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "lacquer/session/store.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;

namespace {

ls::Id fill(ls::Store& store, int notes) {
  auto s = store.create_session({.title = "Backup me"});
  EXPECT_TRUE(s);
  for (int i = 0; i < notes; ++i) {
    EXPECT_TRUE(store.add_note(
        {.session_id = s->id, .time_s = i * 1.0, .author = "E", .text = "n" + std::to_string(i)}));
  }
  return s->id;
}

}  // namespace

TEST(Backup, CopyThroughTheStoreConnection) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "live.db");
  const auto sid = fill(*store, 50);
  auto stats = store->backup(dir / "copy.db");
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->path, dir / "copy.db");
  EXPECT_GT(stats->pages, 0);
  EXPECT_EQ(stats->bytes % 4096, 0);
  EXPECT_FALSE(std::filesystem::exists(dir / "copy.db.partial"));
  auto copy = ls::Store::open(dir / "copy.db");
  EXPECT_EQ(copy->integrity_check().value(), "ok");
  EXPECT_EQ(copy->notes({.session_id = sid})->size(), 50u);
}

TEST(Backup, IntoAFolderNamesTheCopy) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "live.db");
  fill(*store, 3);
  std::filesystem::create_directories(dir / "backups");
  auto stats = ls::backup_database(dir / "live.db", dir / "backups");
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->path.parent_path(), dir / "backups");
  EXPECT_EQ(stats->path.filename().string().rfind("lacquer-", 0), 0u);
  EXPECT_EQ(stats->path.extension(), ".db");
  EXPECT_TRUE(std::filesystem::exists(stats->path));
}

TEST(Backup, MissingSourceAndUnwritableDestination) {
  ls::testing::TempDir dir;
  auto missing = ls::backup_database(dir / "none.db", dir / "copy.db");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ls::ErrorCode::not_found);
  auto store = ls::Store::open(dir / "live.db");
  auto bad = store->backup(dir / "no/such/folder/copy.db");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("copy.db"), std::string::npos) << bad.error().message;
}

// The backup runs on its own connection while the store keeps adding notes: the copy
// is a consistent snapshot holding at least what was committed before it started.
TEST(Backup, WhileWriting) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "live.db");
  const auto sid = fill(*store, 200);
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    while (!stop) {
      if (store->add_note({.session_id = sid, .author = "E", .text = "during"})) ++written;
    }
  });
  for (int i = 0; i < 5; ++i) {
    auto stats = ls::backup_database(dir / "live.db", dir / ("copy" + std::to_string(i) + ".db"));
    ASSERT_TRUE(stats) << stats.error().message;
  }
  stop = true;
  writer.join();
  EXPECT_GT(written.load(), 0);
  for (int i = 0; i < 5; ++i) {
    auto copy = ls::Store::open(dir / ("copy" + std::to_string(i) + ".db"));
    EXPECT_EQ(copy->integrity_check().value(), "ok");
    EXPECT_GE(copy->notes({.session_id = sid})->size(), 200u);
  }
}
