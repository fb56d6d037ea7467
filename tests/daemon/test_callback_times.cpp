// The process callback's duration histogram: percentiles are the upper bounds of the 1 µs
// buckets that hold them, over the callbacks between two snapshots.
#include "audio/callback_times.hpp"

#include <gtest/gtest.h>

namespace lacquer::daemon {
namespace {

TEST(CallbackTimes, PercentilesAreTheBucketsHoldingThatRank) {
  CallbackTimes times;
  for (int i = 0; i < 990; ++i) times.record(10'500);  // 10.5 µs
  for (int i = 0; i < 9; ++i) times.record(40'000);
  times.record(100'999);
  const auto s = CallbackTimes::summarize({}, times.snapshot());
  EXPECT_EQ(s.callbacks, 1000u);
  EXPECT_EQ(s.p50_us, 11.0);
  EXPECT_EQ(s.p99_us, 11.0);   // rank 990 is the last 10.5 µs callback
  EXPECT_EQ(s.p999_us, 41.0);  // rank 999 is the last 40 µs one
  EXPECT_EQ(s.max_us, 101.0);
  EXPECT_NEAR(times.total_seconds(), (990 * 10'500 + 9 * 40'000 + 100'999) * 1e-9, 1e-12);
}

TEST(CallbackTimes, AWindowCountsOnlyTheCallbacksSinceItsStart) {
  CallbackTimes times;
  for (int i = 0; i < 100; ++i) times.record(900'000);
  const auto start = times.snapshot();
  for (int i = 0; i < 50; ++i) times.record(2'000);
  const auto s = CallbackTimes::summarize(start, times.snapshot());
  EXPECT_EQ(s.callbacks, 50u);
  EXPECT_EQ(s.p999_us, 3.0);
  EXPECT_EQ(s.max_us, 3.0);
  EXPECT_EQ(CallbackTimes::summarize(start, start).callbacks, 0u);
}

TEST(CallbackTimes, LongerCallbacksThanTheHistogramHoldsLandInItsLastBucket) {
  CallbackTimes times;
  times.record(50'000'000);  // 50 ms, a stalled machine
  const auto s = CallbackTimes::summarize({}, times.snapshot());
  EXPECT_EQ(s.max_us, static_cast<double>(CallbackTimes::kBuckets));
  EXPECT_EQ(s.p50_us, static_cast<double>(CallbackTimes::kBuckets));
}

}  // namespace
}  // namespace lacquer::daemon
