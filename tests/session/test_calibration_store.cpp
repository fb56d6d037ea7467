// Room calibrations in the store: per speaker set and speaker, dated, the newest one found;
// migration 6 keeping a version-5 file's data; verifications (measured again through the
// correction) kept beside the measurements, never taken for them, and migration 7 keeping a
// version-6 file's calibrations as measurements.
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lacquer/session/schema.hpp"
#include "lacquer/session/store.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;
using nlohmann::json;

namespace {

json result(double delay_ms, double level_db) {
  return {{"delay_ms", delay_ms},
          {"level_db", level_db},
          {"correction", json::array({{{"type", "bell"}, {"freq", 63.0}, {"gain", -8.0},
                                       {"q", 4.0}}})}};
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
}

}  // namespace

TEST(CalibrationStore, StoresDatedAndFindsTheNewestPerSpeaker) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "lacquer.db");
  const auto before = ls::now_unix_ms();
  auto first = store->add_calibration("main", "left", result(3.2, -9.0));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_GE(first->created_unix_ms, before);
  EXPECT_LE(first->created_unix_ms, ls::now_unix_ms());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(store->add_calibration("main", "right", result(2.9, -8.5)));
  auto newer = store->add_calibration("main", "left", result(3.4, -9.2));
  ASSERT_TRUE(newer);
  ASSERT_TRUE(store->add_calibration("alt", "left", result(1.0, -3.0)));

  auto main = store->latest_calibrations("main");
  ASSERT_TRUE(main) << main.error().message;
  ASSERT_EQ(main->size(), 2u);
  EXPECT_EQ((*main)[0].speaker, "left");
  EXPECT_EQ((*main)[0].id, newer->id);
  EXPECT_EQ((*main)[0].result["delay_ms"], 3.4);
  EXPECT_EQ((*main)[0].result["correction"][0]["freq"], 63.0);
  EXPECT_EQ((*main)[1].speaker, "right");
  EXPECT_EQ((*main)[1].result["level_db"], -8.5);

  auto all = store->latest_calibrations();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].speaker_set, "alt");

  auto history = store->calibration_history("main", "left");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].id, newer->id);
  EXPECT_EQ((*history)[1].id, first->id);
  EXPECT_GE((*history)[0].created_unix_ms, (*history)[1].created_unix_ms);
  EXPECT_TRUE(store->calibration_history("mini", "left")->empty());
}

TEST(CalibrationStore, RefusesWhatCannotBeApplied) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "lacquer.db");
  EXPECT_EQ(store->add_calibration("", "left", result(1, 1)).error().code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->add_calibration("main", "", result(1, 1)).error().code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->add_calibration("main", "left", json::array()).error().code,
            ls::ErrorCode::invalid_argument);
  auto no_level = store->add_calibration("main", "left", {{"delay_ms", 1.0}});
  ASSERT_FALSE(no_level);
  EXPECT_NE(no_level.error().message.find("level_db"), std::string::npos);
  EXPECT_FALSE(store->add_calibration("main", "left", {{"delay_ms", "3"}, {"level_db", 0.0}}));
  EXPECT_TRUE(store->latest_calibrations()->empty());
}

TEST(CalibrationStore, MigrationSixKeepsAVersionFiveFile) {
  ls::testing::TempDir dir;
  const auto path = dir / "v5.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    for (const auto& m : ls::migrations()) {
      if (m.version > 5) break;
      exec(db, "BEGIN;" + std::string(m.sql) + ";PRAGMA user_version = " +
                   std::to_string(m.version) + ";COMMIT;");
    }
    exec(db,
         "INSERT INTO sessions (id, title, created_unix_ms) VALUES (4, 'Night Drive', 1000);"
         "INSERT INTO reference_tracks (session_id, position, file_path, file_sha256, "
         "created_unix_ms) VALUES (4, 1, '/ref.wav', "
         "'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 1000);");
    sqlite3_close(db);
  }
  auto store = ls::Store::open(path);
  EXPECT_EQ(store->schema_version(), ls::kSchemaVersion);
  EXPECT_EQ(store->session(4)->title, "Night Drive");
  EXPECT_EQ(store->references(4)->size(), 1u);
  EXPECT_TRUE(store->latest_calibrations()->empty());
  ASSERT_TRUE(store->add_calibration("main", "left", result(3.0, -6.0)));
  EXPECT_EQ(store->latest_calibrations("main")->size(), 1u);
  EXPECT_EQ(store->integrity_check().value(), "ok");
}

TEST(CalibrationStore, KeepsVerificationsBesideMeasurements) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "lacquer.db");
  auto measured = store->add_calibration("main", "left", result(3.2, -9.0));
  ASSERT_TRUE(measured) << measured.error().message;
  EXPECT_EQ(measured->kind, "measurement");
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto verified = store->add_calibration("main", "left", result(3.2, -9.1), "verification");
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->kind, "verification");
  EXPECT_FALSE(store->add_calibration("main", "left", result(3.2, -9.0), "guess"));

  // The newer verification is not what the monitor path applies.
  auto applied = store->latest_calibrations("main");
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ((*applied)[0].id, measured->id);
  EXPECT_EQ((*applied)[0].kind, "measurement");
  auto after = store->latest_calibrations("main", "verification");
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].id, verified->id);
  EXPECT_EQ((*after)[0].result["level_db"], -9.1);
  auto history = store->calibration_history("main", "left");
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].kind, "verification");
  EXPECT_EQ((*history)[1].kind, "measurement");
}

TEST(CalibrationStore, MigrationSevenKeepsVersionSixCalibrationsAsMeasurements) {
  ls::testing::TempDir dir;
  const auto path = dir / "v6.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    for (const auto& m : ls::migrations()) {
      if (m.version > 6) break;
      exec(db, "BEGIN;" + std::string(m.sql) + ";PRAGMA user_version = " +
                   std::to_string(m.version) + ";COMMIT;");
    }
    exec(db, "INSERT INTO calibrations (speaker_set, speaker, result_json, created_unix_ms) "
             "VALUES ('alt', 'right', '{\"delay_ms\": 2.0, \"level_db\": -6.0}', 1000);");
    sqlite3_close(db);
  }
  auto store = ls::Store::open(path);
  EXPECT_EQ(store->schema_version(), 7);
  auto kept = store->latest_calibrations();
  ASSERT_TRUE(kept) << kept.error().message;
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].kind, "measurement");
  EXPECT_EQ((*kept)[0].result["level_db"], -6.0);
  EXPECT_TRUE(store->latest_calibrations("", "verification")->empty());
  EXPECT_EQ(store->integrity_check().value(), "ok");
}
