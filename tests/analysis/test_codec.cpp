// Codec headroom: the Opus round trip of material that provokes overs, and of material that
// leaves enough headroom.

#include <gtest/gtest.h>

#include "lacquer/analysis/analysis.hpp"
#include "music.hpp"

namespace lacquer::analysis {
namespace {

TEST(Codec, OpusRoundTripOfAHotMasterGoesOver) {
  test::Audio a = test::music(6.0, 9);
  // Driven into hard clipping at -0.1 dBFS: a loudness-war master.
  for (float& v : a.x) v = std::clamp(v * 4.0f, -0.989f, 0.989f);
  Options o;
  o.parallel_codec = false;
  const auto r = analyse(a.x.data(), a.frames(), 2, a.rate, o);
  ASSERT_EQ(r.codec.size(), 1u);
  const auto& c = r.codec.front();
  EXPECT_EQ(c.codec, "opus");
  EXPECT_EQ(c.bitrate_kbps, 128);
  EXPECT_GT(c.true_peak_dbtp, r.loudness.true_peak_dbtp);
  EXPECT_GT(c.true_peak_dbtp, 0.0);
  EXPECT_GT(c.overs_on_sample, 0u);
  EXPECT_GT(c.overs_inter_sample, 0u);
  EXPECT_TRUE(c.warning);
  bool warned = false;
  for (const auto& w : r.warnings) warned |= w.rule == "codec_headroom";
  EXPECT_TRUE(warned);
}

TEST(Codec, HeadroomLeavesNoOversAndAt44kHzIsResampled) {
  test::Audio a = test::music(6.0, 9, 44100.0);
  for (float& v : a.x) v *= 0.5f;  // peaks well under -3 dBTP
  const auto r = analyse(a.x.data(), a.frames(), 2, a.rate);
  ASSERT_EQ(r.codec.size(), 1u);
  const auto& c = r.codec.front();
  EXPECT_LT(c.true_peak_dbtp, -1.0);
  // The decoded signal is the same music: its peak within a dB or so of the master's.
  EXPECT_NEAR(c.true_peak_dbtp, r.loudness.true_peak_dbtp, 1.5);
  EXPECT_EQ(c.overs_on_sample, 0u);
  EXPECT_EQ(c.overs_inter_sample, 0u);
  EXPECT_FALSE(c.warning);
}

}  // namespace
}  // namespace lacquer::analysis

namespace lacquer::analysis {
namespace {

// The daemon's use: audio in memory on a worker thread, with progress and a cancel flag.
TEST(InMemory, ProgressRisesToOneAndCancelStops) {
  const test::Audio a = test::music(20.0, 4);
  std::vector<double> seen;
  const auto r = analyse(a.x.data(), a.frames(), 2, a.rate, Options{}, [&](double f) { seen.push_back(f); });
  ASSERT_GE(seen.size(), 10u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), 1.0);
  EXPECT_EQ(r.frames, a.frames());

  std::atomic<bool> cancel{false};
  EXPECT_THROW(analyse(a.x.data(), a.frames(), 2, a.rate, Options{},
                       [&](double f) {
                         if (f > 0.2) cancel = true;
                       },
                       &cancel),
               Cancelled);

  std::vector<float> bad = a.x;
  bad[2 * 48000 + 1] = NAN;
  try {
    analyse(bad.data(), a.frames(), 2, a.rate);
    ADD_FAILURE() << "a NaN was accepted";
  } catch (const AnalysisError& e) {
    EXPECT_STREQ(e.what(), "non-finite sample at frame 48000");
  }
}

}  // namespace
}  // namespace lacquer::analysis
