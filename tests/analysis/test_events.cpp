// Events on generated music with drums: planted defects found at their times (+-10 ms),
// clean material reports none.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lacquer/analysis/analysis.hpp"
#include "music.hpp"

namespace lacquer::analysis {
namespace {

using test::Audio;

Options fast() {
  Options o;
  o.codec = false;
  return o;
}

TrackReport measure(const Audio& a, Options o = fast()) {
  return analyse(a.x.data(), a.frames(), a.channels, a.rate, o);
}

std::string list(const TrackReport& r) {
  std::string s;
  for (const auto& e : r.events) {
    s += e.type + "@" + std::to_string(e.time_s) + " ch" + std::to_string(e.channel) + " " + e.detail + "\n";
  }
  return s;
}

const Event* find(const TrackReport& r, const std::string& type, double t) {
  for (const auto& e : r.events) {
    if (e.type == type && std::fabs(e.time_s - t) <= 0.010) return &e;
  }
  return nullptr;
}

std::size_t frame(double t) { return static_cast<std::size_t>(std::lround(t * 48000.0)); }

TEST(Events, CleanMusicReportsNone) {
  const auto r = measure(test::music(20.0));
  EXPECT_TRUE(r.events.empty()) << list(r);
  EXPECT_NEAR(r.head_silence_s, 0.5, 0.01);
  EXPECT_NEAR(r.tail_silence_s, 0.5, 0.01);
  for (const auto& w : r.warnings) EXPECT_NE(w.rule, "clipping") << w.message;
  ASSERT_TRUE(r.correlation.has_value());
  EXPECT_GT(r.correlation->mean, 0.5);
  EXPECT_GT(r.correlation->low_band_mean, 0.95);
}

TEST(Events, PlantedDefectsFoundAtTheirTimes) {
  Audio a = test::music(20.0);
  // Clipped run: 6 samples at full scale on the left at 3.0 s; a run of 2 at 3.5 s is
  // under the default of 3.
  for (std::size_t i = 0; i < 6; ++i) a.at(frame(3.0) + i, 0) = 1.0f;
  for (std::size_t i = 0; i < 2; ++i) a.at(frame(3.5) + i, 1) = -1.0f;
  // Single-sample clicks, between the drum hits.
  a.at(frame(5.13), 0) += 0.4f;
  a.at(frame(7.37), 1) -= 0.3f;
  a.at(frame(9.21), 0) += 0.2f;
  a.at(frame(9.21), 1) += 0.2f;
  // A 200 ms gap of digital silence.
  for (std::size_t i = frame(11.0); i < frame(11.2); ++i) a.at(i, 0) = a.at(i, 1) = 0.0f;
  // An antiphase section (right inverted) from 14 to 16 s.
  for (std::size_t i = frame(14.0); i < frame(16.0); ++i) a.at(i, 1) = -a.at(i, 1);
  // An abrupt end: cut at 18 s, in the middle of the music.
  a.x.resize(2 * frame(18.0));

  const auto r = measure(a);
  const std::string all = list(r);
  const Event* clip = find(r, "clip", 3.0);
  ASSERT_NE(clip, nullptr) << all;
  EXPECT_EQ(clip->channel, 0);
  EXPECT_EQ(clip->severity, Severity::error);
  EXPECT_EQ(find(r, "clip", 3.5), nullptr) << all;
  ASSERT_NE(find(r, "click", 5.13), nullptr) << all;
  EXPECT_EQ(find(r, "click", 5.13)->channel, 0);
  ASSERT_NE(find(r, "click", 7.37), nullptr) << all;
  EXPECT_EQ(find(r, "click", 7.37)->channel, 1);
  ASSERT_NE(find(r, "click", 9.21), nullptr) << all;
  EXPECT_EQ(find(r, "click", 9.21)->channel, -1);
  const Event* gap = find(r, "dropout", 11.0);
  ASSERT_NE(gap, nullptr) << all;
  EXPECT_NEAR(gap->duration_s, 0.2, 0.01);
  const Event* phase = find(r, "phase", 14.0);
  ASSERT_NE(phase, nullptr) << all;
  EXPECT_NEAR(phase->time_s + phase->duration_s, 16.0, 0.01);
  ASSERT_NE(find(r, "abrupt_end", 18.0), nullptr) << all;
  EXPECT_EQ(find(r, "abrupt_start", 0.0), nullptr) << all;

  // Nothing else, apart from clicks where a defect itself is a discontinuity (the edges of
  // the gap and of the inverted section, the clipped runs) and the overshoot between
  // samples next to a run at full scale.
  const double edges[] = {3.0, 3.5, 11.0, 11.2, 14.0, 16.0};
  for (const auto& e : r.events) {
    if (e.type == "click") {
      bool planted = false;
      for (const double t : {5.13, 7.37, 9.21}) planted |= std::fabs(e.time_s - t) <= 0.010;
      for (const double t : edges) planted |= std::fabs(e.time_s - t) <= 0.010;
      EXPECT_TRUE(planted) << all;
    } else if (e.type == "inter_sample_peak") {
      EXPECT_TRUE(std::fabs(e.time_s - 3.0) <= 0.01 || std::fabs(e.time_s - 3.5) <= 0.01) << all;
    } else {
      EXPECT_TRUE(e.type == "clip" || e.type == "dropout" || e.type == "phase" ||
                  e.type == "abrupt_end")
          << all;
    }
  }
  bool clipping = false;
  for (const auto& w : r.warnings) clipping |= w.rule == "clipping";
  EXPECT_TRUE(clipping);

  Options shorter = fast();
  shorter.clip_run = 2;
  EXPECT_NE(find(measure(a, shorter), "clip", 3.5), nullptr);
}

TEST(Events, DcOffsetAndAbruptStart) {
  Audio a = test::music(6.0);
  a.x.erase(a.x.begin(), a.x.begin() + 2 * static_cast<std::ptrdiff_t>(frame(1.0)));  // starts in the music
  for (std::size_t i = 0; i < a.frames(); ++i) a.at(i, 1) += 0.01f;
  const auto r = measure(a);
  const Event* dc = find(r, "dc_offset", 0.0);
  ASSERT_NE(dc, nullptr) << list(r);
  EXPECT_EQ(dc->channel, 1);
  EXPECT_NEAR(r.channel_stats[1].dc_offset - r.channel_stats[0].dc_offset, 0.01, 1e-4);
  EXPECT_NE(find(r, "abrupt_start", 0.0), nullptr) << list(r);
}

TEST(Events, FlatTopsAreClipsButAQuantisedSlowCrestIsNot) {
  // A 25 Hz sine at 0.9 in 16 bits repeats samples at its crests; a 200 Hz one clipped at
  // 0.7 (a clipped mix turned down) has flat tops.
  for (const bool clipped : {false, true}) {
    test::Audio a = test::tone({{4.0, 20.0 * std::log10(0.9)}}, clipped ? 200.0 : 25.0);
    for (float& v : a.x) {
      v = clipped ? std::clamp(v, -0.7f, 0.7f) : std::round(v * 32768.0f) / 32768.0f;
    }
    const auto r = measure(a);
    std::size_t clips = 0;
    for (const auto& e : r.events) {
      if (e.type != "clip") continue;
      ++clips;
      EXPECT_EQ(e.severity, Severity::warning);
      EXPECT_NE(e.detail.find("flat top"), std::string::npos);
    }
    if (clipped) {
      // 1600 flat tops 2.5 ms apart per channel: one event (closer ones merge) over the tone.
      ASSERT_EQ(clips, 1u) << list(r);
      EXPECT_NEAR(find(r, "clip", 0.0)->duration_s, 4.0, 0.01);
      bool counted = false;
      for (const auto& w : r.warnings) {
        counted |= w.rule == "clipping" && w.message.starts_with("3200 clipped runs");
      }
      EXPECT_TRUE(counted) << r.warnings.front().message;
    } else {
      EXPECT_EQ(clips, 0u) << list(r);
    }
  }
}

TEST(Events, InterSamplePeakWhereSamplesStayUnderFullScale) {
  // fs/4 at 45 degrees, amplitude 1.2: samples at 0.85, the waveform between them at 1.2.
  const Audio a = test::faded_sine(1.2, 0.25, 45.0);
  const auto r = measure(a);
  EXPECT_LT(r.loudness.sample_peak_dbfs, -1.0);
  EXPECT_NEAR(r.loudness.true_peak_dbtp, 20.0 * std::log10(1.2), 0.2);
  bool isp = false;
  for (const auto& e : r.events) isp |= e.type == "inter_sample_peak";
  EXPECT_TRUE(isp) << list(r);
}

TEST(Platforms, GainsFollowEachServiceRule) {
  // Music at about -20 LUFS with peaks near -8 dBTP: quiet for every service.
  Audio a = test::music(10.0);
  for (float& v : a.x) v *= 0.6f;
  const auto r = measure(a);
  const double i = r.loudness.integrated_lufs, tp = r.loudness.true_peak_dbtp;
  ASSERT_LT(i, -16.5);
  const auto get = [&](const std::string& name) {
    for (const auto& p : r.platforms) {
      if (p.name == name) return p;
    }
    ADD_FAILURE() << name;
    return PlatformGain{};
  };
  EXPECT_NEAR(get("spotify").gain_db, std::min(-14.0 - i, -1.0 - tp), 1e-9);
  EXPECT_NEAR(get("spotify-quiet").gain_db, std::min(-19.0 - i, -1.0 - tp), 1e-9);
  EXPECT_NEAR(get("spotify-loud").gain_db, -11.0 - i, 1e-9);  // through its limiter
  EXPECT_LE(get("spotify-loud").true_peak_after_dbtp, -1.0);
  EXPECT_EQ(get("youtube").gain_db, 0.0);                      // down only
  EXPECT_NEAR(get("apple").true_peak_after_dbtp, tp + get("apple").gain_db, 1e-9);
  EXPECT_EQ(get("tidal").target_lufs, -14.0);
  EXPECT_EQ(get("deezer").target_lufs, -15.0);
  EXPECT_EQ(get("amazon").target_lufs, -14.0);

  // Album: the quiet track and a loud one, normalised as one by Spotify and Tidal.
  Audio loud = test::music(10.0, 2);
  for (float& v : loud.x) v *= 2.0f;
  std::vector<TrackReport> album = {r, measure(loud)};
  const AlbumReport al = analyse_album(album);
  EXPECT_GT(al.loudness_spread_lu, 6.0);
  EXPECT_GT(al.integrated_lufs, album[0].loudness.integrated_lufs);
  EXPECT_LT(al.integrated_lufs, album[1].loudness.integrated_lufs);
  ASSERT_EQ(al.platforms.size(), 2u);
  for (const auto& t : album) {
    for (const auto& p : t.platforms) {
      EXPECT_EQ(p.album_gain_db.has_value(), p.name == "spotify" || p.name == "tidal") << p.name;
    }
  }
  EXPECT_DOUBLE_EQ(*album[0].platforms[0].album_gain_db, *album[1].platforms[0].album_gain_db);
}

TEST(Reference, BandDifferenceAfterLoudnessMatching) {
  Audio a = test::music(8.0);
  Audio b = a;
  for (float& v : b.x) v *= 0.5f;  // the same music 6 dB down: no difference once matched
  TrackReport ra = measure(a);
  const TrackReport rb = measure(b);
  compare_with_reference(ra, rb);
  ASSERT_TRUE(ra.reference.has_value());
  EXPECT_NEAR(ra.reference->gain_db, 6.02, 0.05);
  for (const double d : ra.reference->band_diff_db) EXPECT_NEAR(d, 0.0, 0.05);
}

}  // namespace
}  // namespace lacquer::analysis
