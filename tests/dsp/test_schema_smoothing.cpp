// Each row's smoothing_ms is what its stage does. For one parameter of each kind (gain,
// filter, switch, static curve, time constant; print path and monitor path) the whole chain
// is run three times on the same material: at the old value, at the new value from the start,
// and stepped from old to new. The glide is measured on the stepped output: from the first
// sample that leaves the old output to the last one that has not yet reached the new output
// (each by more than 2 % of the largest difference the step makes), and compared with the
// schema's smoothing_ms.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "lacquer/dsp/chain.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kFs = 48000.0;
constexpr std::uint32_t kBlock = 64;
constexpr std::size_t kStepAt = 24000;  // 0.5 s of warm-up, a whole number of blocks
constexpr std::size_t kFrames = kStepAt + 24000;
constexpr double kTolerance = 0.02;

struct Case {
  std::string path;
  double from = 0.0;
  double to = 0.0;
  std::vector<std::pair<std::string, double>> context = {};  // set in all three runs
  double level_step_db = 0.0;  // the input's level change at the step
  bool monitor = false;        // measure the monitor output, not the print
};

// Three tones per channel, different on each side, peaking near -7 dBFS.
std::array<std::vector<float>, 2> material(double level_step_db) {
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  const double after = std::pow(10.0, level_step_db / 20.0);
  std::array<std::vector<float>, 2> x{std::vector<float>(kFrames), std::vector<float>(kFrames)};
  for (std::size_t i = 0; i < kFrames; ++i) {
    const double t = static_cast<double>(i) / kFs;
    const double g = i < kStepAt ? 1.0 : after;
    x[0][i] = static_cast<float>(g * (0.2 * std::sin(kTwoPi * 220.0 * t) +
                                      0.15 * std::sin(kTwoPi * 1250.0 * t + 1.0) +
                                      0.1 * std::sin(kTwoPi * 5300.0 * t)));
    x[1][i] = static_cast<float>(g * (0.18 * std::sin(kTwoPi * 330.0 * t + 0.5) +
                                      0.14 * std::sin(kTwoPi * 1900.0 * t) +
                                      0.08 * std::sin(kTwoPi * 7900.0 * t + 2.0)));
  }
  return x;
}

// The chain's print or monitor output over the material; `stepped` moves the parameter from
// its first value to its second at kStepAt.
std::array<std::vector<float>, 2> run(const Case& c, double first, double second) {
  const Schema& schema = Schema::instance();
  ParamStore store(schema);
  for (const auto& [path, value] : c.context) store.set(schema.id(path), value);
  const ParamId id = schema.id(c.path);
  store.set(id, first);
  Chain chain(store, kFs);
  chain.set_metering(false);
  const auto x = material(c.level_step_db);
  std::array<std::vector<float>, 2> out{std::vector<float>(kFrames), std::vector<float>(kFrames)},
      mon = out;
  for (std::size_t i = 0; i < kFrames; i += kBlock) {
    if (i == kStepAt) store.set(id, second);
    const float* in[2] = {x[0].data() + i, x[1].data() + i};
    float* const o[2] = {out[0].data() + i, out[1].data() + i};
    float* const m[2] = {mon[0].data() + i, mon[1].data() + i};
    chain.process(in, o, m, kBlock);
  }
  return c.monitor ? mon : out;
}

double distance(float a, float b) { return std::abs(double{a} - double{b}); }

// Milliseconds the stepped output takes from leaving the old output to reaching the new one.
double glide_ms(const Case& c) {
  const auto old_out = run(c, c.from, c.from);
  const auto new_out = run(c, c.to, c.to);
  const auto stepped = run(c, c.from, c.to);
  double largest = 0.0;
  for (int ch = 0; ch < 2; ++ch) {
    for (std::size_t i = kStepAt; i < kFrames; ++i) {
      largest = std::max(largest, distance(new_out[ch][i], old_out[ch][i]));
    }
  }
  EXPECT_GT(largest, 1e-3) << c.path << ": the step must be audible";
  const double limit = kTolerance * largest;
  std::size_t first = kFrames, last = 0;
  for (std::size_t i = kStepAt; i < kFrames; ++i) {
    for (int ch = 0; ch < 2; ++ch) {
      if (distance(stepped[ch][i], old_out[ch][i]) > limit) first = std::min(first, i);
      if (distance(stepped[ch][i], new_out[ch][i]) > limit) last = i;
    }
  }
  if (last < first) return 0.0;  // it reached the new output at once
  return static_cast<double>(last + 1 - first) * 1000.0 / kFs;
}

void expect_glide_as_declared(const Case& c) {
  const double declared = Schema::instance().spec(Schema::instance().id(c.path)).smoothing_ms;
  const double measured = glide_ms(c);
  // Linear ramps measure about 2 x kTolerance short; filter glides redesign every 16 frames.
  std::printf("%-40s declared %5.1f ms measured %5.1f ms\n", c.path.c_str(), declared, measured);
  EXPECT_NEAR(measured, declared, std::max(3.0, 0.12 * declared))
      << c.path << " " << c.from << " -> " << c.to;
}

using Ctx = std::vector<std::pair<std::string, double>>;
// A compressor that acts on the material at once: fast ballistics, a low threshold.
Ctx compressing(const std::string& p) {
  return {{p + "/threshold", -30.0}, {p + "/ratio", 4.0}, {p + "/attack", 0.1},
          {p + "/release", 5.0}};
}
Ctx with(Ctx c, const Ctx& more) {
  c.insert(c.end(), more.begin(), more.end());
  return c;
}
// Bands 1 and 2 compressing, so that one band's bypass or solo leaves the split path in.
Ctx multiband_on() {
  Ctx c = with(compressing("/chain/multiband/1"), compressing("/chain/multiband/2"));
  // Crossovers high enough that a reset split's ringing is short.
  c.insert(c.end(), {{"/chain/multiband/crossover/1/freq", 1000.0},
                     {"/chain/multiband/crossover/2/freq", 3000.0},
                     {"/chain/multiband/crossover/3/freq", 8000.0}});
  return c;
}
const Ctx kBellBand = {{"/chain/eq/1/enabled", 1.0}, {"/chain/eq/1/freq", 1000.0},
                       {"/chain/eq/1/gain", 9.0}, {"/chain/eq/1/q", 1.0}};

TEST(SchemaSmoothing, GainsGlideAsDeclared) {
  for (const Case& c : std::vector<Case>{
           {"/chain/input/trim", 0.0, -6.0},
           {"/chain/input/polarity_left", 0.0, 1.0},
           {"/chain/input/balance", 0.0, 60.0},
           {"/chain/comp/makeup", 0.0, 6.0, compressing("/chain/comp")},
           {"/chain/comp/mix", 100.0, 30.0, compressing("/chain/comp")},
           {"/chain/comp/auto_makeup", 0.0, 1.0, compressing("/chain/comp")},
           {"/chain/multiband/2/makeup", 0.0, 6.0, multiband_on()},
           {"/chain/multiband/1/bypass", 0.0, 1.0, multiband_on()},
           {"/chain/multiband/2/solo", 0.0, 1.0, multiband_on()},
           {"/chain/stereo/width", 100.0, 40.0},
           {"/chain/limiter/drive", -6.0, 0.0},
           {"/chain/output/gain", 0.0, -6.0},
       }) {
    expect_glide_as_declared(c);
  }
}

TEST(SchemaSmoothing, FiltersGlideAsDeclared) {
  for (const Case& c : std::vector<Case>{
           {"/chain/eq/1/freq", 1000.0, 2000.0, kBellBand},
           {"/chain/eq/1/gain", 9.0, 3.0, kBellBand},
           {"/chain/eq/1/q", 1.0, 4.0, kBellBand},
           {"/chain/multiband/crossover/2/freq", 3000.0, 2000.0, multiband_on()},
           {"/chain/stereo/mono_below", 200.0, 300.0},
           {"/chain/deesser/freq", 4000.0, 6000.0,
            {{"/chain/deesser/bypass", 0.0}, {"/chain/deesser/threshold", -50.0}}},
       }) {
    expect_glide_as_declared(c);
  }
}

TEST(SchemaSmoothing, SwitchesFadeAsDeclared) {
  for (const Case& c : std::vector<Case>{
           {"/chain/input/bypass", 0.0, 1.0, {{"/chain/input/trim", -6.0}}},
           {"/chain/eq/1/enabled", 0.0, 1.0, kBellBand},
           {"/chain/eq/1/type", 0.0, 1.0, kBellBand},
           {"/chain/eq/1/mode", 0.0, 3.0, kBellBand},
           {"/chain/multiband/bands", 4.0, 3.0, multiband_on()},
           {"/chain/multiband/mode", 0.0, 1.0, multiband_on()},
           {"/chain/comp/bypass", 0.0, 1.0, compressing("/chain/comp")},
           {"/chain/limiter/bypass", 0.0, 1.0, {{"/chain/limiter/drive", -6.0}}},
           {"/chain/output/bypass", 0.0, 1.0, {{"/chain/output/gain", -6.0}}},
       }) {
    expect_glide_as_declared(c);
  }
}

TEST(SchemaSmoothing, StaticCurvesGlideAsDeclared) {
  for (const Case& c : std::vector<Case>{
           {"/chain/comp/threshold", -20.0, -30.0, compressing("/chain/comp")},
           {"/chain/comp/ratio", 2.0, 4.0, compressing("/chain/comp")},
           // Near the threshold the reduction follows the knee almost linearly.
           {"/chain/comp/knee", 8.0, 24.0,
            with(compressing("/chain/comp"),
                 {{"/chain/comp/threshold", -15.0}, {"/chain/comp/detector", 1.0}})},
           {"/chain/multiband/1/ratio", 4.0, 8.0, multiband_on()},
           {"/chain/deesser/ratio", 2.0, 8.0,
            {{"/chain/deesser/bypass", 0.0}, {"/chain/deesser/threshold", -40.0},
             {"/chain/deesser/range", 24.0}, {"/chain/deesser/freq", 4000.0}}},
       }) {
    expect_glide_as_declared(c);
  }
}

TEST(SchemaSmoothing, WhatAppliesAtOnceDoes) {
  Case attack{"/chain/comp/attack", 100.0, 0.1, compressing("/chain/comp")};
  attack.level_step_db = 12.0;
  for (const Case& c : std::vector<Case>{
           attack,
           {"/chain/comp/link", 100.0, 0.0, compressing("/chain/comp")},
           {"/chain/deesser/range", 24.0, 3.0,
            {{"/chain/deesser/bypass", 0.0}, {"/chain/deesser/threshold", -60.0},
             {"/chain/deesser/ratio", 20.0}, {"/chain/deesser/freq", 4000.0}}},
       }) {
    expect_glide_as_declared(c);
  }
}

TEST(SchemaSmoothing, MonitorGlidesAsDeclared) {
  const Ctx eq = {{"/monitor/speakers/main/left/eq/1/gain", 9.0}};
  for (Case c : std::vector<Case>{
           {"/monitor/level", 0.0, -10.0},
           {"/monitor/mute", 0.0, 1.0},
           {"/monitor/speakers/main/calibration", 0.0, -6.0},
           {"/monitor/speakers/main/right/trim", 0.0, -6.0},
           {"/monitor/mono", 0.0, 1.0},
           {"/monitor/compare", 0.0, 1.0, {{"/chain/input/trim", -6.0}}},
           {"/monitor/noise_speaker", 0.0, 1.0, {{"/monitor/noise", 2.0}}},
           {"/monitor/noise_level", -20.0, -30.0, {{"/monitor/noise", 2.0}}},
           {"/monitor/speakers/main/left/delay", 0.0, 5.0},
           {"/monitor/speakers/main/left/eq/1/freq", 100.0, 1000.0, eq},
           {"/monitor/speakers/main/left/eq/1/gain", 0.0, 9.0},
       }) {
    c.monitor = true;
    expect_glide_as_declared(c);
  }
}

}  // namespace
}  // namespace lacquer::dsp
