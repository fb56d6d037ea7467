// The engine's parameter path and chain swap under concurrency: a writer thread changes
// parameters and installs new chains while a reader thread runs process() with random block
// sizes, as JACK would. Built under ThreadSanitizer in CI as well.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
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
