// The engine's parameter path and chain swap under concurrency: a writer thread changes
// parameters and installs new chains while a reader thread runs process() with random block
// sizes, as JACK would. Built under ThreadSanitizer in CI as well.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "lacquer/dsp/engine.hpp"

namespace lacquer::dsp {
namespace {

TEST(Engine, SilenceUntilAChainIsInstalled) {
  Engine engine(Schema::instance());
  std::vector<float> in(64, 0.5f), out_l(64, 1.0f), out_r(64, 1.0f), mon_l(64, 1.0f), mon_r(64, 1.0f);
  const float* ins[2] = {in.data(), in.data()};
  float* outs[2] = {out_l.data(), out_r.data()};
  float* mons[2] = {mon_l.data(), mon_r.data()};
  engine.process(ins, outs, mons, 64);
  for (float v : out_l) EXPECT_EQ(v, 0.0f);
  for (float v : mon_r) EXPECT_EQ(v, 0.0f);
}

TEST(Engine, SwapCrossfadesAndRetiresTheOldChain) {
  Engine engine(Schema::instance());
  engine.rebuild(48000.0);
  const std::uint32_t n = 4096;
  std::vector<float> in(n, 0.25f), out_l(n), out_r(n), mon_l(n), mon_r(n);
  const float* ins[2] = {in.data(), in.data()};
  float* outs[2] = {out_l.data(), out_r.data()};
  float* mons[2] = {mon_l.data(), mon_r.data()};
  engine.process(ins, outs, mons, n);
  EXPECT_EQ(engine.swaps(), 1u);
  engine.rebuild(48000.0);
  engine.process(ins, outs, mons, n);
  EXPECT_EQ(engine.swaps(), 2u);
  // The replaced chain leaves the audio thread once its crossfade is over.
  EXPECT_EQ(engine.collect_garbage(), 1u);
}

// The audio across a swap: a 100 Hz sine through a chain at 0 dB output gain, then the gain
// set to -20 dB and a new chain installed at once. The new chain starts at -20 dB; the old one
// must fade out over the crossfade (10 ms) instead of being cut. The old chain's own gain
// glide and the fresh chain's filters settling move the output too, so the bound is twice
// the sine's steepest step plus what a 10 ms fade moves per sample; a cut steps 0.18 here.
TEST(Engine, SwapFadesTheOldChainOutInsteadOfCuttingIt) {
  constexpr double kRate = 48000.0, kFreq = 100.0, kAmp = 0.5;
  constexpr std::uint32_t kPeriod = 64;
  Engine engine(Schema::instance());
  engine.params().set(Schema::instance().id("/chain/limiter/bypass"), 1.0);
  engine.rebuild(kRate);
  const std::size_t frames = 48000, swap_at = 24000 + 37 * kPeriod;
  std::vector<float> in(frames), out_l(frames), out_r(frames), mon_l(frames), mon_r(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    in[i] = static_cast<float>(kAmp * std::sin(2.0 * M_PI * kFreq * static_cast<double>(i) / kRate));
  }
  for (std::size_t pos = 0; pos < frames; pos += kPeriod) {
    if (pos == swap_at) {
      engine.params().set(Schema::instance().id("/chain/output/gain"), -20.0);
      engine.rebuild(kRate);
    }
    const float* ins[2] = {in.data() + pos, in.data() + pos};
    float* outs[2] = {out_l.data() + pos, out_r.data() + pos};
    float* mons[2] = {mon_l.data() + pos, mon_r.data() + pos};
    engine.process(ins, outs, mons, kPeriod);
  }
  ASSERT_EQ(engine.swaps(), 2u);
  const double sine_step = kAmp * 2.0 * std::sin(M_PI * kFreq / kRate);
  const double fade_step = kAmp / (0.010 * kRate);
  double worst = 0.0;
  for (std::size_t i = swap_at - 4800; i < swap_at + 4800; ++i) {
    worst = std::max(worst, static_cast<double>(std::abs(out_l[i + 1] - out_l[i])));
  }
  std::printf("swap: largest step %.5f (sine %.5f, fade %.5f)\n", worst, sine_step, fade_step);
  EXPECT_LT(worst, 2.0 * (sine_step + fade_step));
  // The old chain is still heard halfway through the fade, and gone after it.
  const auto peak_over = [&](std::size_t from, std::size_t n) {
    float peak = 0.0f;
    for (std::size_t i = from; i < from + n; ++i) peak = std::max(peak, std::abs(out_l[i]));
    return static_cast<double>(peak);
  };
  EXPECT_GT(peak_over(swap_at, 240), 0.3 * kAmp);
  EXPECT_NEAR(peak_over(swap_at + 2400, 960), 0.1 * kAmp, 0.01 * kAmp);
}

// A meter restart asked for from another thread reaches the chain's meters at the next block:
// integrated loudness and the true-peak maximum then cover only what followed (the output's
// after the chain's latency).
TEST(Engine, RestartMetersMeasuresFromTheNextBlock) {
  constexpr double kRate = 48000.0;
  constexpr std::uint32_t kPeriod = 256;
  Engine engine(Schema::instance());
  engine.rebuild(kRate);
  std::vector<float> in(kPeriod), out_l(kPeriod), out_r(kPeriod), mon_l(kPeriod), mon_r(kPeriod);
  std::size_t t = 0;
  const auto play = [&](double seconds, double amplitude) {
    for (std::size_t end = t + static_cast<std::size_t>(seconds * kRate); t < end; t += kPeriod) {
      for (std::uint32_t i = 0; i < kPeriod; ++i) {
        in[i] = static_cast<float>(amplitude * std::sin(2.0 * M_PI * 1000.0 * static_cast<double>(t + i) / kRate));
      }
      const float* ins[2] = {in.data(), in.data()};
      float* outs[2] = {out_l.data(), out_r.data()};
      float* mons[2] = {mon_l.data(), mon_r.data()};
      engine.process(ins, outs, mons, kPeriod);
    }
  };
  play(5.0, 0.1);   // -20 dBFS: -20 LUFS
  std::thread([&] { engine.restart_meters(); }).join();
  play(5.0, 0.01);  // -40
  MeterSnapshot m;
  ASSERT_TRUE(engine.read_meters(m));
  EXPECT_NEAR(m.out.loudness.integrated_lufs, -40.0, 0.1);
  // The true peak of the instants next to the level step still sees the loud samples in
  // the interpolator's 24-sample window; the loud part itself (-20) is gone.
  EXPECT_LT(m.out.true_peak_max_dbtp[0], -35.0);
  EXPECT_GT(m.out.true_peak_max_dbtp[0], -40.1);
}

TEST(Engine, ConcurrentParameterChangesAndSwapsWithRandomBlockSizes) {
  Engine engine(Schema::instance());
  const ParamId trim = Schema::instance().id("/chain/output/gain");
  engine.rebuild(48000.0);

  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> blocks{0};
  std::atomic<bool> finite{true};

  std::thread audio([&] {
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> size(1, 3000);
    std::vector<float> in(Engine::kMaxPeriod), l(Engine::kMaxPeriod), r(Engine::kMaxPeriod),
        ml(Engine::kMaxPeriod), mr(Engine::kMaxPeriod);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)) * 0.5);
    const float* ins[2] = {in.data(), in.data()};
    float* outs[2] = {l.data(), r.data()};
    float* mons[2] = {ml.data(), mr.data()};
    while (!done.load()) {
      const std::uint32_t n = size(rng);
      engine.process(ins, outs, mons, n);
      for (std::uint32_t i = 0; i < n; ++i) {
        if (!std::isfinite(l[i]) || !std::isfinite(mr[i])) finite = false;
      }
      blocks.fetch_add(1);
    }
  });

  // The first chain must be taken before the next is installed: a chain still pending is
  // replaced, never swapped in, and would not count.
  while (engine.swaps() < 1) std::this_thread::yield();
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> gain_db(-24.0, 12.0);
  std::uint64_t installed = 1;
  for (int i = 0; i < 400; ++i) {
    engine.params().set(trim, gain_db(rng));
    if (i % 20 == 0) {
      engine.rebuild(i % 40 == 0 ? 48000.0 : 96000.0);
      ++installed;
      // Wait for the audio side to take it, so every chain is swapped in and retired.
      while (engine.swaps() < installed) std::this_thread::yield();
    }
    engine.collect_garbage();
    std::this_thread::yield();
  }
  // Let the audio side pick up the last chain, then check the final gain is reached.
  engine.params().set(trim, -6.0);
  const std::uint64_t seen = blocks.load();
  while (blocks.load() < seen + 200) std::this_thread::yield();
  done = true;
  audio.join();
  engine.collect_garbage();

  EXPECT_TRUE(finite.load());
  EXPECT_EQ(engine.swaps(), installed);

  std::vector<float> in(512, 0.5f), l(512), r(512), ml(512), mr(512);
  const float* ins[2] = {in.data(), in.data()};
  float* outs[2] = {l.data(), r.data()};
  float* mons[2] = {ml.data(), mr.data()};
  for (int i = 0; i < 20; ++i) engine.process(ins, outs, mons, 512);
  EXPECT_NEAR(l[511], 0.5 * std::pow(10.0, -6.0 / 20.0), 1e-4);
}

}  // namespace
}  // namespace lacquer::dsp
