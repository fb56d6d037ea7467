// The engine's snapshot compare: with /monitor/compare on A or B, chains for snapshots A and
// B run from the same input, the monitors play the one selected (loudness-matched against the
// other on request) and the print output stays the current chain's.

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "lacquer/dsp/engine.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kFs = 48000.0;
constexpr std::uint32_t kPeriod = 256;

struct Take {
  std::vector<float> in, out, mon;
};

// `seconds` of noise through the engine in periods; left channel kept (both carry the same).
Take play(Engine& engine, double seconds, std::uint32_t seed) {
  const auto n = static_cast<std::size_t>(seconds * kFs);
  Take r{std::vector<float>(n), std::vector<float>(n), std::vector<float>(n)};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.25f, 0.25f);
  for (float& v : r.in) v = u(rng);
  std::vector<float> out_r(kPeriod), mon_r(kPeriod);
  for (std::size_t off = 0; off + kPeriod <= n; off += kPeriod) {
    const float* in[2] = {r.in.data() + off, r.in.data() + off};
    float* out[2] = {r.out.data() + off, out_r.data()};
    float* mon[2] = {r.mon.data() + off, mon_r.data()};
    engine.process(in, out, mon, kPeriod);
  }
  return r;
}

// Gain of `y` against `x` delayed by `latency`, by least squares over the second half.
double gain_db(const Take& r, const std::vector<float>& y, std::uint32_t latency) {
  double xy = 0.0, xx = 0.0;
  for (std::size_t i = y.size() / 2; i + kPeriod < y.size(); ++i) {
    const auto x = static_cast<double>(r.in[i - latency]);
    xy += static_cast<double>(y[i]) * x;
    xx += x * x;
  }
  return 20.0 * std::log10(xy / xx);
}

TEST(SnapshotCompare, MonitorsPlayTheSnapshotChainsAndMatchThem) {
  const Schema& schema = Schema::instance();
  Engine engine(schema);
  const ParamId gain = schema.id("/chain/output/gain");
  const ParamId compare = schema.id("/monitor/compare");
  const ParamId match = schema.id("/monitor/match");
  engine.params().set(gain, -2.0);
  engine.snapshot_params(0).set(gain, -6.0);
  engine.snapshot_params(1).set(gain, -10.0);
  engine.rebuild(kFs);
  engine.restart_snapshots();
  const std::uint32_t latency = engine.latency_frames();

  // Compare on the chain: the monitors hear the print.
  Take r = play(engine, 1.0, 1);
  EXPECT_NEAR(gain_db(r, r.out, latency), -2.0, 1e-3);
  EXPECT_NEAR(gain_db(r, r.mon, latency), -2.0, 1e-3);

  // Snapshot A, then B: the monitors hear each; the print stays the current chain's.
  engine.params().set(compare, static_cast<double>(MonitorPath::Compare::a));
  r = play(engine, 1.0, 2);
  EXPECT_NEAR(gain_db(r, r.out, latency), -2.0, 1e-3);
  EXPECT_NEAR(gain_db(r, r.mon, latency), -6.0, 1e-3);
  engine.params().set(compare, static_cast<double>(MonitorPath::Compare::b));
  r = play(engine, 1.0, 3);
  EXPECT_NEAR(gain_db(r, r.out, latency), -2.0, 1e-3);
  EXPECT_NEAR(gain_db(r, r.mon, latency), -10.0, 1e-3);

  // Matched: A, 4 dB louder than B by its own meter, is turned down to B's loudness.
  engine.params().set(match, 1.0);
  engine.params().set(compare, static_cast<double>(MonitorPath::Compare::a));
  r = play(engine, 3.0, 4);
  EXPECT_NEAR(gain_db(r, r.mon, latency), -10.0, 0.05);
}

TEST(SnapshotCompare, NoSnapshotChainsUntilStarted) {
  // Without restart_snapshots() compare A has nothing to play: the monitors are silent while
  // the print goes on.
  const Schema& schema = Schema::instance();
  Engine engine(schema);
  engine.params().set(schema.id("/monitor/compare"), static_cast<double>(MonitorPath::Compare::a));
  engine.rebuild(kFs);
  const Take r = play(engine, 0.5, 5);
  double mon = 0.0, out = 0.0;
  for (std::size_t i = r.mon.size() / 2; i < r.mon.size(); ++i) {
    mon = std::max(mon, static_cast<double>(std::abs(r.mon[i])));
    out = std::max(out, static_cast<double>(std::abs(r.out[i])));
  }
  EXPECT_EQ(mon, 0.0);
  EXPECT_GT(out, 0.1);
}

TEST(ReferenceCompare, ListenersHearTheReferenceUnprocessedAndTheChainAcrossASwap) {
  const Schema& schema = Schema::instance();
  Engine engine(schema);
  engine.params().set(schema.id("/chain/output/gain"), -2.0);
  engine.params().set(schema.id("/monitor/level"), -20.0);
  engine.rebuild(kFs);
  const auto n = static_cast<std::size_t>(kFs);
  std::vector<float> in(n), reference(n), listen[2] = {std::vector<float>(n), std::vector<float>(n)};
  std::vector<float> out(n), mon(n), scratch(n);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.25f, 0.25f);
  for (std::size_t i = 0; i < n; ++i) {
    in[i] = u(rng);
    reference[i] = 0.5f * std::sin(2.0f * 3.14159265f * 440.0f * static_cast<float>(i) / 48000.0f);
  }
  const ParamId compare = schema.id("/monitor/compare");
  const std::size_t quarter = n / 4 / kPeriod * kPeriod;
  const std::size_t half = 2 * quarter;
  for (std::size_t off = 0; off + kPeriod <= n; off += kPeriod) {
    // The reference from the second quarter on; a chain swap in the third.
    if (off == quarter) engine.params().set(compare, 4.0);
    if (off == half) {
      engine.params().set(compare, 0.0);
      engine.rebuild(kFs);
    }
    const float* i2[2] = {in.data() + off, in.data() + off};
    float* o2[2] = {out.data() + off, scratch.data() + off};
    float* m2[2] = {mon.data() + off, scratch.data() + off};
    Engine::MonitorIo io;
    io.reference = {reference.data() + off, reference.data() + off};
    io.listen = {listen[0].data() + off, listen[1].data() + off};
    engine.process(i2, o2, m2, kPeriod, &io);
    engine.collect_garbage();
  }
  // Reference: sample for sample (never processed), while the monitors are 20 dB down.
  for (std::size_t i = quarter + 2048; i < half; i += 61) {
    ASSERT_EQ(listen[0][i], reference[i]) << i;
    ASSERT_EQ(listen[1][i], reference[i]) << i;
    ASSERT_NEAR(mon[i], 0.1f * reference[i], 1e-6f) << i;
  }
  // Chain (through a chain swap): the print, not the monitors.
  for (std::size_t i = half + 2048; i + kPeriod < n; i += 61) {
    ASSERT_NEAR(listen[0][i], out[i], 1e-6f) << i;
  }
}

}  // namespace
}  // namespace lacquer::dsp
