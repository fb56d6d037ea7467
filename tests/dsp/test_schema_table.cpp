// The parameter table: every documented path exists, every entry is self-consistent.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

#include <type_traits>

#include "lacquer/dsp/param_schema.hpp"
#include "lacquer/dsp/stage.hpp"
#include "lacquer/dsp/targets.hpp"

namespace lacquer::dsp {
namespace {

const Schema& schema() { return Schema::instance(); }

const LoudnessTarget& target(std::string_view name) {
  const LoudnessTarget* t = find_target(name);
  if (t == nullptr) throw std::invalid_argument(std::string(name));
  return *t;
}

// A binding names its parameters by the constants its stage declares (the same ones its schema
// rows take), never by a free string, whose misspelling would wait until start-up.
static_assert(std::is_invocable_v<ParamIdList&, ParamName>);
static_assert(!std::is_invocable_v<ParamIdList&, const char*>);
static_assert(!std::is_invocable_v<ParamIdList&, std::string>);
static_assert(!std::is_invocable_v<ParamIdList&, std::string_view, std::string_view>);

TEST(SchemaTable, EveryEntryIsConsistent) {
  ASSERT_GT(schema().size(), 200u);
  for (const ParamSpec& p : schema().params()) {
    SCOPED_TRACE(p.path);
    EXPECT_EQ(p.path.front(), '/');
    EXPECT_LT(p.min_value, p.max_value);
    EXPECT_GE(p.default_value, p.min_value);
    EXPECT_LE(p.default_value, p.max_value);
    EXPECT_GE(p.smoothing_ms, 0.0);
    EXPECT_FALSE(p.description.empty());
    if (p.taper == Taper::logarithmic) {
      EXPECT_GT(p.min_value, 0.0);
    }
    if (p.type == ParamType::choice) {
      ASSERT_GE(p.choices.size(), 2u);
      EXPECT_EQ(p.max_value, static_cast<double>(p.choices.size() - 1));
      EXPECT_EQ(p.default_value, std::round(p.default_value));
    } else {
      EXPECT_TRUE(p.choices.empty());
    }
    if (p.type == ParamType::boolean) {
      EXPECT_EQ(p.min_value, 0.0);
      EXPECT_EQ(p.max_value, 1.0);
    }
  }
}

TEST(SchemaTable, DocumentedPathsExist) {
  const char* paths[] = {
      "/chain/input/trim",        "/chain/input/polarity_left", "/chain/input/polarity_right",
      "/chain/input/balance",     "/chain/input/dc_block",      "/chain/input/bypass",
      "/chain/eq/1/type",         "/chain/eq/8/slope",          "/chain/eq/3/gain",
      "/chain/eq/3/freq",         "/chain/eq/3/q",              "/chain/eq/3/mode",
      "/chain/eq/bypass",         "/chain/multiband/crossover/3/freq",
      "/chain/multiband/2/threshold", "/chain/multiband/4/solo", "/chain/multiband/link",
      "/chain/multiband/mode",    "/chain/comp/ratio",          "/chain/comp/detector",
      "/chain/comp/sidechain_hpf", "/chain/comp/mix",           "/chain/comp/auto_makeup",
      "/chain/stereo/width",      "/chain/stereo/mono_below",   "/chain/limiter/ceiling",
      "/chain/limiter/lookahead", "/chain/output/gain",         "/chain/output/bits",
      "/chain/output/dither",     "/chain/output/bypass",       "/monitor/level",
      "/monitor/dim",             "/monitor/mute",              "/monitor/mono",
      "/monitor/side_solo",       "/monitor/solo",              "/monitor/speakers",
      "/monitor/preview",         "/monitor/compare",           "/monitor/match",
      "/monitor/speakers/mini/calibration", "/monitor/speakers/alt/right/eq/4/q",
      "/monitor/speakers/main/left/delay"};
  for (const char* path : paths) EXPECT_TRUE(schema().find(path).has_value()) << path;
  EXPECT_FALSE(schema().find("/chain/eq/9/gain").has_value());
}

TEST(SchemaTable, PreviewChoicesNameStreamingTargets) {
  const ParamSpec& preview = schema().spec(schema().id("/monitor/preview"));
  int services = 0;
  for (const auto& t : kTargets) {
    if (!t.streaming) continue;
    ++services;
    EXPECT_TRUE(schema().choice_value(schema().id("/monitor/preview"), t.name).has_value())
        << t.name;
  }
  EXPECT_EQ(preview.choices.size(), 5u + static_cast<std::size_t>(services));
}

TEST(SchemaTable, LogTaperMapsDecadesEvenly) {
  const ParamId f = schema().id("/chain/eq/1/freq");
  const ParamSpec& p = schema().spec(f);
  const double mid = std::sqrt(p.min_value * p.max_value);
  EXPECT_NEAR(schema().from_norm(f, 0.5), mid, 1e-9 * mid);
  EXPECT_NEAR(schema().to_norm(f, 1000.0),
              std::log(1000.0 / p.min_value) / std::log(p.max_value / p.min_value), 1e-12);
}

TEST(SchemaTable, PlatformGainFollowsServiceRules) {
  const LoudnessTarget& spotify = target("spotify");
  const LoudnessTarget& youtube = target("youtube");
  // Loud master: both turn it down to the target.
  EXPECT_DOUBLE_EQ(playback_gain_db(spotify, -8.0, -0.1), -6.0);
  EXPECT_DOUBLE_EQ(playback_gain_db(youtube, -8.0, -0.1), -6.0);
  // Quiet master: YouTube leaves it, Spotify raises it until the peak reaches -1 dBTP.
  EXPECT_DOUBLE_EQ(playback_gain_db(youtube, -20.0, -10.0), 0.0);
  EXPECT_DOUBLE_EQ(playback_gain_db(spotify, -20.0, -10.0), 6.0);
  EXPECT_DOUBLE_EQ(playback_gain_db(spotify, -20.0, -4.0), 3.0);
  EXPECT_DOUBLE_EQ(playback_gain_db(spotify, -20.0, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(playback_gain_db(target("apple"), -14.0, -3.0), -2.0);
  EXPECT_DOUBLE_EQ(playback_gain_db(spotify, -INFINITY, -INFINITY), 0.0);
}

}  // namespace
}  // namespace lacquer::dsp
