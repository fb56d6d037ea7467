// The chain as a whole: transparency of the defaults, reported latency, parameters reaching
// the stages, the monitor feed, and no allocation on the audio path.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>
#include <numbers>
#include <random>
#include <vector>

#include "lacquer/dsp/chain.hpp"
#include "lacquer/dsp/true_peak.hpp"

// Counts allocations made on a thread that asked for it (the thread running process()).
// The replacements pair malloc with free, which GCC cannot see through.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<long> g_allocations{0};
thread_local bool t_counting = false;
}  // namespace

void* operator new(std::size_t size) {
  if (t_counting) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept {
  if (p != nullptr && t_counting) g_allocations.fetch_add(1, std::memory_order_relaxed);
  std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }
#pragma GCC diagnostic pop

namespace lacquer::dsp {
namespace {

constexpr double kPi = std::numbers::pi;

struct Signal {
  std::vector<float> ch[2];
  explicit Signal(std::size_t n) : ch{std::vector<float>(n), std::vector<float>(n)} {}
  std::size_t size() const { return ch[0].size(); }
};

// Mix-like test material kept below 0 dBTP: noise, a bass line and a tone per channel.
Signal material(std::size_t n, double fs, std::uint32_t seed = 1) {
  Signal s(n);
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.08);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / fs;
    const double bass = 0.25 * std::sin(2.0 * kPi * 55.0 * t);
    s.ch[0][i] = static_cast<float>(bass + noise(rng) + 0.1 * std::sin(2.0 * kPi * 1000.0 * t));
    s.ch[1][i] = static_cast<float>(bass + noise(rng) + 0.1 * std::sin(2.0 * kPi * 3300.0 * t));
  }
  return s;
}

// Runs `chain` over `in` in random block sizes (1..1024, crossing kMaxBlock).
void run(Chain& chain, const Signal& in, Signal& out, Signal* mon, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::uint32_t> size(1, 1024);
  for (std::size_t off = 0; off < in.size();) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(size(rng), in.size() - off));
    const float* i2[2] = {in.ch[0].data() + off, in.ch[1].data() + off};
    float* o2[2] = {out.ch[0].data() + off, out.ch[1].data() + off};
    float* m2[2] = {mon ? mon->ch[0].data() + off : nullptr, mon ? mon->ch[1].data() + off : nullptr};
    chain.process(i2, o2, mon ? m2 : nullptr, n);
    off += n;
  }
}

double rms_db(const std::vector<float>& x, std::size_t from) {
  double s = 0.0;
  for (std::size_t i = from; i < x.size(); ++i) s += double{x[i]} * double{x[i]};
  return 10.0 * std::log10(s / static_cast<double>(x.size() - from));
}

class ChainAtRate : public ::testing::TestWithParam<double> {};

TEST_P(ChainAtRate, DefaultChainNullsAgainstItsInput) {
  const double fs = GetParam();
  ParamStore store(Schema::instance());
  Chain chain(store, fs);
  const std::uint32_t lat = chain.latency_frames();
  const std::size_t n = static_cast<std::size_t>(fs * 2.0);
  const Signal in = material(n, fs);
  Signal out(n), mon(n);
  run(chain, in, out, &mon, 7);
  double worst = 0.0;
  for (int c = 0; c < 2; ++c) {
    for (std::size_t i = lat; i < n; ++i) {
      worst = std::max(worst, std::abs(double{out.ch[c][i]} - double{in.ch[c][i - lat]}));
      // The default monitor path is flat too.
      ASSERT_EQ(mon.ch[c][i], out.ch[c][i]);
    }
  }
  EXPECT_LT(gain_to_db(worst), -120.0) << "latency " << lat;
}

TEST_P(ChainAtRate, ReportedLatencyIsTheImpulseDelay) {
  const double fs = GetParam();
  ParamStore store(Schema::instance());
  Chain chain(store, fs);
  Signal in(8192), out(8192);
  in.ch[0][100] = in.ch[1][100] = 0.5f;
  run(chain, in, out, nullptr, 3);
  for (int c = 0; c < 2; ++c) {
    std::size_t at = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (std::abs(out.ch[c][i]) > std::abs(out.ch[c][at])) at = i;
    }
    EXPECT_EQ(at, 100 + chain.latency_frames());
    EXPECT_FLOAT_EQ(out.ch[c][at], 0.5f);
  }
}

INSTANTIATE_TEST_SUITE_P(Rates, ChainAtRate, ::testing::Values(44100.0, 48000.0, 96000.0));

// Sets `path` to `value` through the store, as control does.
void set(ParamStore& store, const char* path, double value) {
  store.set(store.schema().id(path), store.schema().clamp(store.schema().id(path), value));
}

TEST(Chain, OutputGainReachesTheOutput) {
  ParamStore store(Schema::instance());
  set(store, "/chain/output/gain", -6.0);
  Chain chain(store, 48000.0);
  const Signal in = material(48000, 48000.0);
  Signal out(in.size());
  run(chain, in, out, nullptr, 1);
  EXPECT_NEAR(rms_db(out.ch[0], 4800) - rms_db(in.ch[0], 4800), -6.0, 0.01);
}

TEST(Chain, EqBandReachesTheEqStage) {
  ParamStore store(Schema::instance());
  Chain chain(store, 48000.0);
  set(store, "/chain/eq/2/enabled", 1);
  set(store, "/chain/eq/2/freq", 1000.0);
  set(store, "/chain/eq/2/gain", 6.0);
  set(store, "/chain/eq/2/q", 1.0);
  const std::size_t n = 48000;
  Signal in(n), out(n);
  for (std::size_t i = 0; i < n; ++i) {
    in.ch[0][i] = in.ch[1][i] = static_cast<float>(0.1 * std::sin(2.0 * kPi * 1000.0 * i / 48000.0));
  }
  run(chain, in, out, nullptr, 2);
  // A bell has its full gain at its centre frequency.
  EXPECT_NEAR(rms_db(out.ch[1], 9600) - rms_db(in.ch[1], 9600), 6.0, 0.02);
}

TEST(Chain, InputTrimPolarityAndStereoWidthReachTheirStages) {
  const Signal in = material(48000, 48000.0);
  {
    ParamStore store(Schema::instance());
    set(store, "/chain/input/trim", -6.0);
    set(store, "/chain/input/polarity_left", 1);
    Chain chain(store, 48000.0);
    Signal out(in.size());
    run(chain, in, out, nullptr, 11);
    const std::uint32_t lat = chain.latency_frames();
    const double g = db_to_gain(-6.0);
    for (std::size_t i = lat; i < in.size(); ++i) {
      ASSERT_NEAR(out.ch[0][i], -g * double{in.ch[0][i - lat]}, 1e-6);
      ASSERT_NEAR(out.ch[1][i], g * double{in.ch[1][i - lat]}, 1e-6);
    }
  }
  {
    // Width 0: both channels carry the mid, (L + R) / 2.
    ParamStore store(Schema::instance());
    set(store, "/chain/stereo/width", 0.0);
    Chain chain(store, 48000.0);
    Signal out(in.size());
    run(chain, in, out, nullptr, 12);
    const std::uint32_t lat = chain.latency_frames();
    for (std::size_t i = lat; i < in.size(); ++i) {
      const double mid = 0.5 * (double{in.ch[0][i - lat]} + double{in.ch[1][i - lat]});
      ASSERT_NEAR(out.ch[0][i], mid, 1e-6);
      ASSERT_NEAR(out.ch[1][i], mid, 1e-6);
    }
  }
}

TEST(Chain, CompressorsReduceGainWhenSetTo) {
  const Signal in = material(96000, 48000.0);
  ParamStore store(Schema::instance());
  set(store, "/chain/comp/threshold", -30.0);
  set(store, "/chain/comp/ratio", 4.0);
  set(store, "/chain/multiband/1/threshold", -40.0);
  set(store, "/chain/multiband/1/ratio", 4.0);
  Chain chain(store, 48000.0);
  Signal out(in.size());
  run(chain, in, out, nullptr, 13);
  EXPECT_GT(chain.meters().comp_gr_db, 1.0);
  EXPECT_GT(chain.meters().multiband_gr_db[0], 1.0);
  EXPECT_EQ(chain.meters().multiband_gr_db[3], 0.0);
  EXPECT_LT(rms_db(out.ch[0], 48000), rms_db(in.ch[0], 48000) - 3.0);
}

TEST(Chain, LimiterHoldsTheCeilingWithDrive) {
  ParamStore store(Schema::instance());
  set(store, "/chain/limiter/drive", 12.0);
  set(store, "/chain/limiter/ceiling", -3.0);
  Chain chain(store, 48000.0);
  const Signal in = material(96000, 48000.0);
  Signal out(in.size());
  run(chain, in, out, nullptr, 4);
  TruePeakDetector tp[2];
  double peak = 0.0;
  for (int c = 0; c < 2; ++c) {
    for (const float x : out.ch[c]) peak = std::max(peak, tp[c].push(double{x}));
  }
  EXPECT_LE(gain_to_db(peak), -3.0 + 0.05);
  EXPECT_GT(gain_to_db(peak), -4.0);
  EXPECT_GT(chain.meters().limiter_gr_db, 0.0);
}

// The offline render's cut before the limiter: front then back, each in kMaxBlock steps from
// the chain's block starts, prints exactly what the chain prints, with every stage working.
TEST(Chain, FrontThenBackIsTheChainToTheBit) {
  const double fs = 48000.0;
  ParamStore store(Schema::instance());
  set(store, "/chain/input/dc_block", 1.0);
  set(store, "/chain/eq/1/enabled", 1.0);
  set(store, "/chain/eq/1/gain", 3.0);
  set(store, "/chain/multiband/2/threshold", -30.0);
  set(store, "/chain/multiband/2/ratio", 3.0);
  set(store, "/chain/comp/threshold", -24.0);
  set(store, "/chain/comp/ratio", 3.0);
  set(store, "/chain/stereo/width", 120.0);
  set(store, "/chain/deesser/bypass", 0.0);
  set(store, "/chain/limiter/drive", 12.0);
  set(store, "/chain/output/gain", -0.5);
  const Signal in = material(3 * 48000 + 1234, fs, 5);
  Signal chain_out(in.size());
  Chain chain(store, fs);
  run(chain, in, chain_out, nullptr, 21);

  PrintFront front(store.schema());
  PrintBack back(store.schema());
  front.prepare(fs, Chain::kMaxBlock);
  back.prepare(fs, Chain::kMaxBlock);
  front.reset(store);
  back.reset(store);
  std::vector<double> held[2] = {std::vector<double>(in.size()), std::vector<double>(in.size())};
  for (int c = 0; c < 2; ++c) std::copy(in.ch[c].begin(), in.ch[c].end(), held[c].begin());
  // The same block sizes as run() drew, so each block starts where the chain's did.
  std::mt19937 rng(21);
  std::uniform_int_distribution<std::uint32_t> size(1, 1024);
  for (std::size_t off = 0; off < in.size();) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(size(rng), in.size() - off));
    for (std::uint32_t k = 0; k < n; k += Chain::kMaxBlock) {
      front.process(held[0].data() + off + k, held[1].data() + off + k,
                    std::min(Chain::kMaxBlock, n - k));
    }
    off += n;
  }
  EXPECT_GT(front.stage<MultibandStage>().band_gain_reduction_db(1), 0.5);
  EXPECT_GT(front.stage<CompStage>().gain_reduction_db(), 0.5);
  rng.seed(21);
  double limiter_gr_db = 0.0;
  for (std::size_t off = 0; off < in.size();) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(size(rng), in.size() - off));
    for (std::uint32_t k = 0; k < n; k += Chain::kMaxBlock) {
      back.process(held[0].data() + off + k, held[1].data() + off + k,
                   std::min(Chain::kMaxBlock, n - k));
      limiter_gr_db = std::max(limiter_gr_db, back.stage<LimiterStage>().gain_reduction_db());
    }
    off += n;
  }
  EXPECT_GT(limiter_gr_db, 1.0);
  for (int c = 0; c < 2; ++c) {
    for (std::size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(static_cast<float>(held[c][i]), chain_out.ch[c][i]) << "channel " << c << " frame " << i;
    }
  }
}

TEST(Chain, MonitorBypassPlaysTheDelayedInput) {
  ParamStore store(Schema::instance());
  set(store, "/chain/output/gain", -12.0);
  store.set(store.schema().id("/monitor/compare"),
            *store.schema().choice_value(store.schema().id("/monitor/compare"), "bypass"));
  Chain chain(store, 48000.0);
  const Signal in = material(48000, 48000.0);
  Signal out(in.size()), mon(in.size());
  run(chain, in, out, &mon, 5);
  const std::uint32_t lat = chain.latency_frames();
  for (int c = 0; c < 2; ++c) {
    for (std::size_t i = lat; i < in.size(); ++i) {
      ASSERT_NEAR(mon.ch[c][i], double{in.ch[c][i - lat]}, 1e-7);
      ASSERT_NEAR(out.ch[c][i], double{in.ch[c][i - lat]} * db_to_gain(-12.0), 1e-6);
    }
  }
}

Signal sine(std::size_t n, double fs, double f, double amplitude) {
  Signal s(n);
  for (std::size_t i = 0; i < n; ++i) {
    s.ch[0][i] = s.ch[1][i] =
        static_cast<float>(amplitude * std::sin(2.0 * kPi * f * static_cast<double>(i) / fs));
  }
  return s;
}

TEST(Chain, MetersReadTech3341Case1) {
  // EBU Tech 3341 case 1: a stereo 1 kHz sine at -23 dBFS reads -23.0 LUFS.
  ParamStore store(Schema::instance());
  set(store, "/chain/output/gain", -6.0);
  Chain chain(store, 48000.0);
  const Signal in = sine(48000 * 20, 48000.0, 1000.0, db_to_gain(-23.0));
  Signal out(in.size()), mon(in.size());
  run(chain, in, out, &mon, 21);
  const MeterSnapshot& m = chain.meters();
  EXPECT_NEAR(m.in.loudness.integrated_lufs, -23.0, 0.1);
  EXPECT_NEAR(m.out.loudness.integrated_lufs, -29.0, 0.1);
  EXPECT_NEAR(m.in.correlation, 1.0, 1e-6);
  EXPECT_NEAR(m.out.true_peak_max_dbtp[0], -29.0, 0.05);
}

TEST(Chain, LoudnessMatchedBypassPlaysAtTheChainLoudness) {
  // The chain is 6 dB quieter than its input; matched, the bypass plays 6 dB down too.
  ParamStore store(Schema::instance());
  set(store, "/chain/output/gain", -6.0);
  set(store, "/monitor/match", 1);
  store.set(store.schema().id("/monitor/compare"), 1.0);  // bypass
  Chain chain(store, 48000.0);
  const Signal in = material(48000 * 12, 48000.0);
  Signal out(in.size()), mon(in.size());
  run(chain, in, out, &mon, 22);
  const std::size_t from = 48000 * 8;
  EXPECT_NEAR(rms_db(mon.ch[0], from), rms_db(out.ch[0], from), 0.5);
  EXPECT_NEAR(rms_db(mon.ch[0], from), rms_db(in.ch[0], from) - 6.0, 0.5);
}

TEST(Chain, ProcessNeverAllocates) {
  ParamStore store(Schema::instance());
  auto chain = std::make_unique<Chain>(store, 48000.0);
  const Signal in = material(48000, 48000.0);
  Signal out(in.size()), mon(in.size());
  const ParamId gain = store.schema().id("/chain/eq/1/gain");
  const ParamId enabled = store.schema().id("/chain/eq/1/enabled");
  const ParamId preview = store.schema().id("/monitor/preview");
  store.set(enabled, 1.0);

  g_allocations = 0;
  std::mt19937 rng(9);
  for (std::size_t off = 0, k = 0; off < in.size(); ++k) {
    // Parameters change between blocks, as control would change them.
    store.set(gain, static_cast<double>(k % 13) - 6.0);
    store.set(preview, static_cast<double>(k % 11));
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(1 + rng() % 700, in.size() - off));
    const float* i2[2] = {in.ch[0].data() + off, in.ch[1].data() + off};
    float* o2[2] = {out.ch[0].data() + off, out.ch[1].data() + off};
    float* m2[2] = {mon.ch[0].data() + off, mon.ch[1].data() + off};
    t_counting = true;
    chain->process(i2, o2, m2, n);
    t_counting = false;
    off += n;
  }
  EXPECT_EQ(g_allocations.load(), 0);
  // The counter works: a chain's construction allocates.
  t_counting = true;
  auto other = std::make_unique<Chain>(store, 44100.0);
  t_counting = false;
  EXPECT_GT(g_allocations.load(), 0);
}

}  // namespace
}  // namespace lacquer::dsp
