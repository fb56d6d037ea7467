// Crash safety: a writer killed with SIGKILL at random moments never loses a note it
// acknowledged, and the file always passes integrity_check.
#include <random>

#include <gtest/gtest.h>

#include "crash_harness.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;

TEST(Crash, KilledWriterLosesNoAcknowledgedNote) {
  ls::testing::TempDir dir;
  const auto db = dir / "crash.db";
  // Kill times from 0 (before or during the first migration) to 80 ms (several synced
  // notes in); a fixed seed so a failure can be replayed.
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> kill_us(0, 80000);
  ls::testing::Acknowledged acked;
  int killed = 0;
  constexpr int kRounds = 300;
  for (int i = 0; i < kRounds; ++i) {
    const auto r = ls::testing::crash_round(LACQUER_NOTE_WRITER, db,
                                            std::chrono::microseconds(kill_us(rng)), acked);
    ASSERT_TRUE(r.failure.empty()) << "round " << i << ": " << r.failure;
    killed += r.killed ? 1 : 0;
  }
  EXPECT_EQ(killed, kRounds);
  // The rounds must have exercised writing, not only start-up: on average more than one
  // acknowledged note per round.
  EXPECT_GT(acked.size(), static_cast<std::size_t>(kRounds));
  RecordProperty("acknowledged_notes", static_cast<int>(acked.size()));
}
