// The feedback-loop queries on a generated history of several sessions, checked
// against aggregates worked out by hand from how the history was generated.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lacquer/session/store.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;
using nlohmann::json;

namespace {

const std::string kSha(64, 'c');

json events(const std::string& type, int count) {
  json list = json::array();
  for (int i = 0; i < count; ++i) list.push_back({{"type", type}, {"time_s", 10.0 * i}});
  return {{"events", list}};
}

// Orbit Records: three sessions of four tracks, k = 1..12 in release order; sessions 1
// and 2 mixed at Blackbird, session 3 at Abbey. Each track's applied EQ has band 1 at
// k dB (100 Hz on odd k, 400 Hz on even k) and band 2 at -2 dB, switched off on every
// fourth track. Session 3 also has a 13th track whose whole EQ stage is bypassed.
// Other Label: one session at Sunset Sound with extreme values that must not leak in.
class FeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = ls::Store::open(dir / "history.db");
    int k = 0;
    for (int s = 1; s <= 3; ++s) {
      auto session = store->create_session({.title = "Orbit " + std::to_string(s),
                                            .client = "Orbit Records",
                                            .studio = s < 3 ? "Blackbird" : "Abbey"});
      ASSERT_TRUE(session);
      orbit_sessions.push_back(session->id);
      for (int t = 1; t <= 4; ++t) {
        ++k;
        auto track = store->add_track({.session_id = session->id,
                                       .file_path = "/mix/" + std::to_string(k) + ".wav",
                                       .file_sha256 = kSha,
                                       .title = "Track " + std::to_string(k)});
        ASSERT_TRUE(track);
        tracks.push_back(track->id);
        add_chain(track->id, k);
        add_renders(session->id, track->id, k);
      }
    }
    auto extra = store->add_track({.session_id = orbit_sessions[2],
                                   .file_path = "/mix/13.wav",
                                   .file_sha256 = kSha,
                                   .title = "Hidden"});
    ASSERT_TRUE(extra);
    ASSERT_TRUE(store->store_snapshot(extra->id, "flat",
                                      {{"/chain/eq/bypass", true}, {"/chain/eq/1/gain", 100.0}}));

    // QC events of the sources: clicks in all three sessions, clips in one, and a
    // dropout that a newer analysis of the same source no longer finds.
    add_source(0, 0, events("click", 2));
    add_source(1, 4, events("click", 1));
    add_source(2, 8, events("click", 1));
    add_source(1, 5, events("clip", 3));
    add_source(0, 1, events("dropout", 5));
    add_source(0, 1, events("dropout", 0));

    // Delivered masters of session 1.
    const double lufs[] = {-14.0, -14.0, -13.0, -15.0};
    const double tp[] = {-1.0, -1.2, -0.8, -1.5};
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(store->add_report(
          orbit_sessions[0], tracks[i], ls::ReportKind::deliverable, "spotify",
          {{"loudness", {{"integrated_lufs", lufs[i]}, {"true_peak_dbtp", tp[i]}}}}));
    }

    // Notes: two open, one resolved.
    ASSERT_TRUE(store->add_note({.session_id = orbit_sessions[0],
                                 .track_id = tracks[0],
                                 .time_s = 92.0,
                                 .author = "Mara",
                                 .text = "pumping at 1:32"}));
    auto resolved = store->add_note({.session_id = orbit_sessions[1],
                                     .track_id = tracks[4],
                                     .author = "Mara",
                                     .text = "fixed"});
    ASSERT_TRUE(resolved);
    ASSERT_TRUE(store->resolve_note(resolved->id, "Engineer"));
    ASSERT_TRUE(store->add_note(
        {.session_id = orbit_sessions[2], .author = "Jo", .text = "sequence: swap 2 and 3"}));

    auto other = store->create_session(
        {.title = "Other", .client = "Other Label", .studio = "Sunset Sound"});
    ASSERT_TRUE(other);
    for (int t = 0; t < 2; ++t) {
      auto track = store->add_track(
          {.session_id = other->id, .file_path = "/o.wav", .file_sha256 = kSha, .title = "O"});
      ASSERT_TRUE(track);
      ASSERT_TRUE(store->store_snapshot(track->id, "A", {{"/chain/eq/1/enabled", true}, {"/chain/eq/1/gain", -100.0}}));
      ASSERT_TRUE(store->add_report(other->id, track->id, ls::ReportKind::render, "r",
                                    {{"limiter", {{"max_gain_reduction_db", 20.0}}}}));
      ASSERT_TRUE(
          store->add_report(other->id, track->id, ls::ReportKind::source, "s", events("click", 7)));
      ASSERT_TRUE(store->add_report(other->id, track->id, ls::ReportKind::deliverable, "d",
                                    {{"loudness", {{"integrated_lufs", -8.0}}}}));
    }
    ASSERT_TRUE(store->add_note({.session_id = other->id, .author = "X", .text = "louder"}));
  }

  // A draft with band 1 at +50 dB first: superseded, so it must not count.
  void add_chain(ls::Id track_id, int k) {
    ASSERT_TRUE(store->store_snapshot(track_id, "draft", {{"/chain/eq/1/gain", 50.0}}));
    // Band 2 is switched off on every fourth track, band 3 is a high-pass (its gain does
    // nothing), band 4 is off everywhere: none of those gains may count.
    json final_chain = {{"/chain/eq/1/enabled", true},
                        {"/chain/eq/1/type", "bell"},
                        {"/chain/eq/1/gain", static_cast<double>(k)},
                        {"/chain/eq/1/freq", k % 2 ? 100.0 : 400.0},
                        {"/chain/eq/2/enabled", k % 4 != 0},
                        {"/chain/eq/2/type", "high_shelf"},
                        {"/chain/eq/2/gain", k % 4 == 0 ? -20.0 : -2.0},
                        {"/chain/eq/3/enabled", true},
                        {"/chain/eq/3/type", "high_pass"},
                        {"/chain/eq/3/gain", 9.0},
                        {"/chain/eq/4/enabled", false},
                        {"/chain/eq/4/gain", 0.0},
                        {"/chain/limiter/ceiling", -1.0}};
    auto applied = store->store_snapshot(track_id, "final", final_chain);
    ASSERT_TRUE(applied);
    if (k == 1) {
      // Compared against a brighter B, then went back to the final chain.
      ASSERT_TRUE(store->store_snapshot(track_id, "B", {{"/chain/eq/1/gain", 30.0}}));
      ASSERT_TRUE(store->recall_snapshot(applied->id));
    }
  }

  // An early render at 10 dB of gain reduction, then the final one at k/2 dB, then an
  // analysis-only render without limiter figures.
  void add_renders(ls::Id session_id, ls::Id track_id, int k) {
    ASSERT_TRUE(store->add_report(session_id, track_id, ls::ReportKind::render, "early",
                                  {{"limiter", {{"max_gain_reduction_db", 10.0}}}}));
    ASSERT_TRUE(store->add_report(session_id, track_id, ls::ReportKind::render, "final",
                                  {{"limiter", {{"max_gain_reduction_db", 0.5 * k}}}}));
    ASSERT_TRUE(store->add_report(session_id, track_id, ls::ReportKind::render, "check",
                                  {{"loudness", {{"integrated_lufs", -14.0}}}}));
  }

  void add_source(int session_index, int track_index, const json& data) {
    ASSERT_TRUE(store->add_report(orbit_sessions[static_cast<std::size_t>(session_index)],
                                  tracks[static_cast<std::size_t>(track_index)],
                                  ls::ReportKind::source, "source", data));
  }

  ls::testing::TempDir dir;
  std::unique_ptr<ls::Store> store;
  std::vector<ls::Id> orbit_sessions;
  std::vector<ls::Id> tracks;
};

}  // namespace

TEST_F(FeedbackTest, PerClient) {
  auto f = store->feedback({.client = "orbit records"});  // names match without case
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->sessions, 3);
  EXPECT_EQ(f->tracks, 13);

  ASSERT_EQ(f->eq_bands.size(), 2u);
  const auto& b1 = f->eq_bands[0];
  EXPECT_EQ(b1.band, 1);
  EXPECT_EQ(b1.tracks, 12);
  // k = 1..12: mean (n+1)/2, population variance (n^2-1)/12.
  EXPECT_NEAR(b1.mean_gain_db, 6.5, 1e-12);
  EXPECT_NEAR(b1.stddev_gain_db, std::sqrt(143.0 / 12.0), 1e-12);
  EXPECT_DOUBLE_EQ(b1.min_gain_db, 1.0);
  EXPECT_DOUBLE_EQ(b1.max_gain_db, 12.0);
  ASSERT_TRUE(b1.mean_freq_hz);
  EXPECT_NEAR(*b1.mean_freq_hz, 200.0, 1e-9);  // geometric mean of 100 and 400, six each
  const auto& b2 = f->eq_bands[1];
  EXPECT_EQ(b2.band, 2);
  EXPECT_EQ(b2.tracks, 9);
  EXPECT_NEAR(b2.mean_gain_db, -2.0, 1e-12);
  EXPECT_NEAR(b2.stddev_gain_db, 0.0, 1e-12);
  EXPECT_FALSE(b2.mean_freq_hz);

  // Final renders at k/2 dB: k >= 6 is at least 3 dB, mean 0.5 * 6.5.
  EXPECT_EQ(f->limiter.renders, 12);
  EXPECT_EQ(f->limiter.hard, 7);
  EXPECT_NEAR(f->limiter.mean_max_gain_reduction_db, 3.25, 1e-12);

  ASSERT_EQ(f->qc_events.size(), 2u);
  EXPECT_EQ(f->qc_events[0].type, "click");
  EXPECT_EQ(f->qc_events[0].events, 4);
  EXPECT_EQ(f->qc_events[0].tracks, 3);
  EXPECT_EQ(f->qc_events[0].sessions, 3);
  EXPECT_EQ(f->qc_events[1].type, "clip");
  EXPECT_EQ(f->qc_events[1].events, 3);
  EXPECT_EQ(f->qc_events[1].tracks, 1);
  EXPECT_EQ(f->qc_events[1].sessions, 1);

  EXPECT_EQ(f->delivered.masters, 4);
  EXPECT_NEAR(f->delivered.mean_integrated_lufs, -14.0, 1e-12);
  EXPECT_NEAR(f->delivered.stddev_integrated_lufs, std::sqrt(0.5), 1e-12);
  EXPECT_DOUBLE_EQ(f->delivered.min_integrated_lufs, -15.0);
  EXPECT_DOUBLE_EQ(f->delivered.max_integrated_lufs, -13.0);
  ASSERT_TRUE(f->delivered.max_true_peak_dbtp);
  EXPECT_DOUBLE_EQ(*f->delivered.max_true_peak_dbtp, -0.8);

  ASSERT_EQ(f->open_notes.size(), 2u);
  EXPECT_EQ(f->open_notes[0].note.text, "pumping at 1:32");
  EXPECT_EQ(f->open_notes[0].session_title, "Orbit 1");
  EXPECT_EQ(f->open_notes[0].track_title, "Track 1");
  EXPECT_DOUBLE_EQ(f->open_notes[0].note.time_s, 92.0);
  EXPECT_EQ(f->open_notes[1].note.text, "sequence: swap 2 and 3");
  EXPECT_EQ(f->open_notes[1].track_title, "");
}

TEST_F(FeedbackTest, PerStudio) {
  auto f = store->feedback({.studio = "Blackbird"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->sessions, 2);
  EXPECT_EQ(f->tracks, 8);
  ASSERT_FALSE(f->eq_bands.empty());
  // k = 1..8.
  EXPECT_EQ(f->eq_bands[0].tracks, 8);
  EXPECT_NEAR(f->eq_bands[0].mean_gain_db, 4.5, 1e-12);
  EXPECT_NEAR(f->eq_bands[0].stddev_gain_db, std::sqrt(63.0 / 12.0), 1e-12);
  EXPECT_EQ(f->limiter.hard, 3);  // k = 6, 7, 8
  ASSERT_FALSE(f->qc_events.empty());
  EXPECT_EQ(f->qc_events[0].type, "click");
  EXPECT_EQ(f->qc_events[0].sessions, 2);
  EXPECT_EQ(f->open_notes.size(), 1u);

  auto other = store->feedback({.studio = "Sunset Sound"});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->sessions, 1);
  EXPECT_NEAR(other->eq_bands.at(0).mean_gain_db, -100.0, 1e-12);
  EXPECT_EQ(other->limiter.hard, 2);
  EXPECT_EQ(other->qc_events.at(0).events, 14);
  EXPECT_NEAR(other->delivered.mean_integrated_lufs, -8.0, 1e-12);
}

TEST_F(FeedbackTest, AllAndUnknownScopes) {
  auto all = store->feedback({});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->sessions, 4);
  EXPECT_EQ(all->tracks, 15);
  EXPECT_EQ(all->open_notes.size(), 3u);
  EXPECT_EQ(all->delivered.masters, 6);

  auto none = store->feedback({.client = "Nobody"});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->sessions, 0);
  EXPECT_EQ(none->tracks, 0);
  EXPECT_TRUE(none->eq_bands.empty());
  EXPECT_EQ(none->limiter.renders, 0);
  EXPECT_TRUE(none->qc_events.empty());
  EXPECT_EQ(none->delivered.masters, 0);
  EXPECT_FALSE(none->delivered.max_true_peak_dbtp);
}

TEST_F(FeedbackTest, ThresholdAndJson) {
  auto f = store->feedback({.client = "Orbit Records"}, {.limiter_hard_db = 5.0});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->limiter.hard, 3);  // k = 10, 11, 12
  const json j = ls::to_json(*f);
  EXPECT_EQ(j["scope"]["client"], "Orbit Records");
  EXPECT_TRUE(j["scope"]["studio"].is_null());
  EXPECT_EQ(j["sessions"], 3);
  EXPECT_EQ(j["eq_bands"][0]["band"], 1);
  EXPECT_NEAR(j["eq_bands"][0]["mean_gain_db"].get<double>(), 6.5, 1e-12);
  EXPECT_TRUE(j["eq_bands"][1]["mean_freq_hz"].is_null());
  EXPECT_EQ(j["limiter"]["hard"], 3);
  EXPECT_EQ(j["qc_events"][0]["type"], "click");
  EXPECT_EQ(j["delivered"]["masters"], 4);
  EXPECT_EQ(j["open_notes"][0]["session_title"], "Orbit 1");
  EXPECT_EQ(j["open_notes"][0]["status"], "open");
  EXPECT_TRUE(j["open_notes"][1]["track_id"].is_null());
}

TEST_F(FeedbackTest, ANoteSaidAgainIsOneRowWithItsRepeats) {
  const std::string said[] = {"Low mids muddy again.", "low mids  muddy again", "LOW MIDS MUDDY AGAIN!"};
  for (int s = 0; s < 3; ++s) {
    ASSERT_TRUE(store->add_note({.session_id = orbit_sessions[static_cast<std::size_t>(s)],
                                 .track_id = tracks[static_cast<std::size_t>(4 * s + 1)],
                                 .time_s = 30.0 + s,
                                 .author = "Mara",
                                 .text = said[s]}));
  }
  auto f = store->feedback({.client = "Orbit Records"});
  ASSERT_TRUE(f);
  ASSERT_EQ(f->open_notes.size(), 3u);  // the fixture's two, and the muddy low mids once
  const auto& muddy = f->open_notes[2];
  EXPECT_EQ(muddy.note.text, "Low mids muddy again.");
  EXPECT_EQ(muddy.session_title, "Orbit 1");
  ASSERT_EQ(muddy.repeats.size(), 2u);
  EXPECT_EQ(muddy.repeats[0].session_title, "Orbit 2");
  EXPECT_EQ(muddy.repeats[1].track_title, "Track 10");
  EXPECT_DOUBLE_EQ(muddy.repeats[1].note.time_s, 32.0);
  EXPECT_TRUE(f->open_notes[0].repeats.empty());
  const json j = ls::to_json(*f);
  EXPECT_EQ(j["open_notes"][2]["repeats"].size(), 2u);
  EXPECT_EQ(j["open_notes"][2]["repeats"][1]["session_title"], "Orbit 3");
  EXPECT_TRUE(j["open_notes"][0]["repeats"].empty());
}

// The third-octave bands an analysis reports, 25 Hz to 20 kHz.
std::vector<double> third_octaves() {
  std::vector<double> bands;
  for (int k = -17; k <= 12; ++k) bands.push_back(1000.0 * std::pow(2.0, k / 3.0));
  return bands;
}

// A mix's long-term spectrum: a -4.5 dB/octave tilt with +-1 dB of unevenness, plus
// `extra_db` in the band nearest `at_hz`.
json mix_spectrum(unsigned seed, double at_hz = 0.0, double extra_db = 0.0) {
  const auto bands = third_octaves();
  std::vector<double> levels;
  for (std::size_t i = 0; i < bands.size(); ++i) {
    const double uneven = std::sin(1.7 * static_cast<double>(i) + seed);
    double level = -20.0 - 4.5 * std::log2(bands[i] / 1000.0) + uneven;
    if (at_hz > 0.0 && std::abs(std::log2(bands[i] / at_hz)) < 1.0 / 6.0) level += extra_db;
    levels.push_back(level);
  }
  return {{"bands_hz", bands}, {"level_db", levels}};
}

TEST(SpectralFeatures, TiltAndUnevennessAreNotFeatures) {
  const auto bands = third_octaves();
  const auto levels = mix_spectrum(3)["level_db"].get<std::vector<double>>();
  EXPECT_TRUE(ls::spectral_features(bands, levels, 3.0).empty());
  auto bumped = mix_spectrum(3, 63.0, 5.0)["level_db"].get<std::vector<double>>();
  const auto found = ls::spectral_features(bands, bumped, 3.0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NEAR(found[0].first, 63.0, 1.0);
  EXPECT_GT(found[0].second, 3.0);
  auto dipped = mix_spectrum(3, 2500.0, -6.0)["level_db"].get<std::vector<double>>();
  const auto dip = ls::spectral_features(bands, dipped, 3.0);
  ASSERT_EQ(dip.size(), 1u);
  EXPECT_NEAR(dip[0].first, 2520.0, 1.0);
  EXPECT_LT(dip[0].second, -3.0);
}

// Studio B's room has a mode at 63 Hz: every mix from it carries the bump, across four
// records of two clients. A one-off dip on one record of Studio C is no pattern.
TEST(SpectralFeatures, ARoomModeRecursAcrossAStudiosRecords) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "modes.db");
  ASSERT_TRUE(store);
  unsigned seed = 0;
  auto record = [&](const std::string& client, const std::string& studio, double at_hz,
                    double extra_db) {
    auto session = store->create_session({.title = client + " LP", .client = client, .studio = studio});
    ASSERT_TRUE(session);
    for (int t = 0; t < 3; ++t) {
      auto track = store->add_track({.session_id = session->id,
                                     .file_path = "/mix/" + std::to_string(++seed) + ".wav",
                                     .file_sha256 = std::string(64, 'a'),
                                     .title = "T" + std::to_string(seed)});
      ASSERT_TRUE(track);
      json report = {{"spectrum", mix_spectrum(seed, at_hz, extra_db)},
                     {"loudness", {{"integrated_lufs", -10.0 - t}, {"true_peak_dbtp", 0.5 - t}}}};
      ASSERT_TRUE(store->add_report(session->id, track->id, ls::ReportKind::source, "mix", report));
    }
  };
  for (int r = 0; r < 4; ++r) record(r % 2 ? "Orbit" : "Nadir", "Studio B", 63.0, 5.0 + 0.5 * r);
  record("Orbit", "Studio C", 2500.0, -6.0);
  record("Orbit", "Studio C", 0.0, 0.0);

  auto b = store->feedback({.studio = "Studio B"});
  ASSERT_TRUE(b);
  ASSERT_EQ(b->spectral.size(), 1u);
  EXPECT_NEAR(b->spectral[0].freq_hz, 63.0, 1.0);
  EXPECT_TRUE(b->spectral[0].peak);
  EXPECT_EQ(b->spectral[0].sessions, 4);
  EXPECT_EQ(b->spectral[0].sessions_analysed, 4);
  EXPECT_EQ(b->spectral[0].tracks, 12);
  EXPECT_GT(b->spectral[0].mean_db, 4.0);
  EXPECT_EQ(b->mixes.mixes, 12);
  EXPECT_NEAR(b->mixes.mean_integrated_lufs, -11.0, 1e-9);
  EXPECT_EQ(b->mixes.over_full_scale, 4);
  EXPECT_EQ(ls::to_json(*b)["spectral"][0]["kind"], "peak");

  auto c = store->feedback({.studio = "Studio C"});
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->spectral.empty());
}
