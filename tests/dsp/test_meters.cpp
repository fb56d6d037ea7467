// Meters against EBU Tech 3341 (loudness, true peak) and Tech 3342 (LRA), generated
// from the standards' descriptions, plus the true-peak test files 20-23; correlation,
// PLR and peak fall; and no allocation on the audio-thread path.

#include <ebur128.h>
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <numbers>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lacquer/dsp/meters.hpp"
#include "lacquer/dsp/smoother.hpp"

// Allocation counting for the real-time path: malloc and friends are interposed for the
// whole test program and counted only while a test asks. libebur128 allocates with
// malloc/calloc directly, so counting operator new alone would not see it. Sanitizer
// runtimes interpose these functions themselves; there the check is skipped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LACQUER_COUNT_ALLOCATIONS 0
#else
#define LACQUER_COUNT_ALLOCATIONS 1
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
void count() noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
}
}  // namespace
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* malloc(std::size_t n) {
  count();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  count();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  count();
  return __libc_realloc(p, n);
}
void free(void* p) {
  if (p != nullptr) count();
  __libc_free(p);
}
}
#endif

namespace lacquer::dsp {
namespace {

constexpr double kRate = 48000.0;
constexpr std::uint32_t kBlock = 256;

// A stereo 1 kHz sine (both channels in phase), as a list of (seconds, dBFS) segments.
struct Program {
  std::vector<double> l, r;
};

Program tone(std::initializer_list<std::pair<double, double>> segments, double freq = 1000.0,
             double rate = kRate) {
  Program p;
  std::size_t i = 0;
  for (const auto& [seconds, dbfs] : segments) {
    const auto n = static_cast<std::size_t>(std::lround(seconds * rate));
    const double a = dbfs < -150.0 ? 0.0 : db_to_gain(dbfs);
    for (std::size_t k = 0; k < n; ++k, ++i) {
      p.l.push_back(a * std::sin(2 * std::numbers::pi * freq * static_cast<double>(i) / rate));
    }
  }
  p.r = p.l;
  return p;
}

template <typename Meter>
void feed(Meter& m, const Program& p, std::uint32_t block = kBlock) {
  for (std::size_t pos = 0; pos < p.l.size(); pos += block) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(block, p.l.size() - pos));
    m.process(p.l.data() + pos, p.r.data() + pos, n);
  }
}

LoudnessReading measure(const Program& p, std::uint32_t block = kBlock) {
  LoudnessMeter m;
  m.prepare(kRate, kBlock);
  feed(m, p, block);
  return m.reading();
}

// EBU Tech 3341, table 1, cases 1-5: stereo 1 kHz, expected +-0.1 LU.
TEST(LoudnessMeter, Tech3341Case1And2SteadySines) {
  for (double level : {-23.0, -33.0}) {
    const auto r = measure(tone({{20.0, level}}));
    EXPECT_NEAR(r.momentary_lufs, level, 0.1);
    EXPECT_NEAR(r.short_term_lufs, level, 0.1);
    EXPECT_NEAR(r.integrated_lufs, level, 0.1);
  }
}

TEST(LoudnessMeter, Tech3341Cases3To5Gating) {
  EXPECT_NEAR(measure(tone({{10, -36}, {60, -23}, {10, -36}})).integrated_lufs, -23.0, 0.1);
  EXPECT_NEAR(measure(tone({{10, -72}, {10, -36}, {60, -23}, {10, -36}, {10, -72}}))
                  .integrated_lufs,
              -23.0, 0.1);
  EXPECT_NEAR(measure(tone({{20, -26}, {20.1, -20}, {20, -26}})).integrated_lufs, -23.0, 0.1);
}

TEST(LoudnessMeter, ShortTermOfAThreeSecondCycleIsConstant) {
  // 1.34 s at -20 dBFS and 1.66 s at -30 dBFS: every 3 s window holds one whole cycle,
  // of energy (1.34 * 10^-2 + 1.66 * 10^-3) / 3 -> -23.0 LUFS.
  LoudnessMeter m;
  m.prepare(kRate, kBlock);
  const Program p = tone({{1.34, -20}, {1.66, -30}, {1.34, -20}, {1.66, -30}, {1.34, -20},
                          {1.66, -30}, {1.34, -20}, {1.66, -30}});
  const auto hop = static_cast<std::size_t>(kRate / 10);
  for (std::size_t pos = 0; pos + hop <= p.l.size(); pos += hop) {
    for (std::size_t k = 0; k < hop; k += 240) m.process(p.l.data() + pos + k, p.r.data() + pos + k, 240);
    if (pos + hop >= static_cast<std::size_t>(3.0 * kRate)) {
      ASSERT_NEAR(m.reading().short_term_lufs, -23.0, 0.1) << pos / kRate;
    }
  }
}

TEST(LoudnessMeter, MomentaryMaximumAndBlockSizeIndependence) {
  const Program p = tone({{5.0, -23}, {5.0, -30}});
  const auto a = measure(p, 1);
  const auto b = measure(p, 256);
  const auto c = measure(p, 250);
  EXPECT_NEAR(a.momentary_max_lufs, -23.0, 0.1);
  EXPECT_NEAR(a.momentary_lufs, -30.0, 0.1);
  EXPECT_EQ(a.momentary_max_lufs, b.momentary_max_lufs);
  EXPECT_EQ(b.integrated_lufs, c.integrated_lufs);
  EXPECT_EQ(a.short_term_max_lufs, c.short_term_max_lufs);
}

// Momentary and short-term come from 100 ms block energies; libebur128's own getters sum
// the whole window. Both agree at every refresh, from the first (partly empty) windows on,
// on noise whose level and stereo balance keep changing. LRA is Tech 3342's computation
// (gates, then percentiles of the sorted values) on short-term values ten times a second,
// within its 0.1 LU bins; libebur128 takes one value a second and agrees within 1 LU.
TEST(LoudnessMeter, WindowsAndRangeAgreeWithLibebur128) {
  for (const double rate : {44100.0, 48000.0, 96000.0}) {
    constexpr std::uint32_t kChunk = 441;  // not a divisor of the 100 ms hop
    LoudnessMeter meter;
    meter.prepare(rate, kChunk);
    ebur128_state* reference = ebur128_init(2, static_cast<unsigned long>(rate),
                                            EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_LRA);
    ASSERT_NE(reference, nullptr);
    const auto hop = static_cast<std::size_t>((static_cast<unsigned long>(rate) + 5) / 10);
    const auto frames = static_cast<std::size_t>(30.0 * rate);
    std::mt19937 gen(7);
    std::normal_distribution<double> noise(0.0, 1.0);
    std::vector<double> l(frames), r(frames), interleaved(2 * frames);
    for (std::size_t i = 0; i < frames; ++i) {
      const double seconds = static_cast<double>(i) / rate;
      const double level = db_to_gain(-30.0 + 12.0 * std::sin(0.4 * seconds));
      l[i] = level * noise(gen);
      r[i] = 0.5 * level * noise(gen) + 0.5 * l[i];
      interleaved[2 * i] = l[i];
      interleaved[2 * i + 1] = r[i];
    }
    int compared = 0;
    std::vector<double> short_terms;  // of whole 3 s windows
    for (std::size_t pos = 0; pos < frames; pos += kChunk) {
      const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(kChunk, frames - pos));
      const std::size_t refreshes_before = pos / hop;
      meter.process(l.data() + pos, r.data() + pos, n);
      const std::size_t boundary = (refreshes_before + 1) * hop;
      if (boundary > pos + n) {
        ebur128_add_frames_double(reference, interleaved.data() + 2 * pos, n);
        continue;
      }
      // Compare at the boundary the meter refreshed at, then feed the rest of the chunk.
      ebur128_add_frames_double(reference, interleaved.data() + 2 * pos, boundary - pos);
      double momentary = 0.0, short_term = 0.0;
      ebur128_loudness_momentary(reference, &momentary);
      ebur128_loudness_shortterm(reference, &short_term);
      ASSERT_NEAR(meter.reading().momentary_lufs, momentary, 1e-9) << rate << " Hz, " << boundary;
      ASSERT_NEAR(meter.reading().short_term_lufs, short_term, 1e-9) << rate << " Hz, " << boundary;
      if (boundary >= 30 * hop) short_terms.push_back(short_term);
      ebur128_add_frames_double(reference, interleaved.data() + 2 * boundary, pos + n - boundary);
      ++compared;
    }
    EXPECT_EQ(compared, static_cast<int>(frames / hop));
    std::erase_if(short_terms, [](double v) { return v < -70.0; });
    double energy = 0.0;
    for (const double v : short_terms) energy += std::pow(10.0, v / 10.0);
    const double gate = 10.0 * std::log10(energy / static_cast<double>(short_terms.size())) - 20.0;
    std::erase_if(short_terms, [&](double v) { return v < gate; });
    std::sort(short_terms.begin(), short_terms.end());
    const auto at = [&](double p) {
      return short_terms[static_cast<std::size_t>(
          std::lround(static_cast<double>(short_terms.size() - 1) * p))];
    };
    const double tech3342 = at(0.95) - at(0.10);
    EXPECT_GT(tech3342, 8.0);
    EXPECT_NEAR(meter.reading().lra_lu, tech3342, 0.1 + 1e-9) << rate << " Hz";
    double range = 0.0;
    ebur128_loudness_range(reference, &range);
    EXPECT_NEAR(meter.reading().lra_lu, range, 1.0) << rate << " Hz";
    ebur128_destroy(&reference);
  }
}

TEST(LoudnessMeter, SilenceReadsMinusInfinity) {
  const auto r = measure(tone({{5.0, -200}}));
  EXPECT_EQ(r.integrated_lufs, -INFINITY);
  EXPECT_EQ(r.lra_lu, 0.0);
}

// EBU Tech 3342 cases 1-4: 1 kHz stereo segments of 20 s; LRA expected +-1 LU.
TEST(LoudnessMeter, Tech3342LoudnessRange) {
  EXPECT_NEAR(measure(tone({{20, -20}, {20, -30}})).lra_lu, 10.0, 1.0);
  EXPECT_NEAR(measure(tone({{20, -20}, {20, -15}})).lra_lu, 5.0, 1.0);
  EXPECT_NEAR(measure(tone({{20, -40}, {20, -20}})).lra_lu, 20.0, 1.0);
  EXPECT_NEAR(measure(tone({{20, -50}, {20, -35}, {20, -20}, {20, -35}, {20, -50}})).lra_lu,
              15.0, 1.0);
}

// One reading of the whole programme by libebur128 in `mode`, through `get`.
template <typename Getter>
double libebur128_reading(const Program& p, int mode, Getter get) {
  ebur128_state* st = ebur128_init(2, static_cast<unsigned long>(kRate), mode);
  std::vector<double> interleaved(2 * p.l.size());
  for (std::size_t i = 0; i < p.l.size(); ++i) {
    interleaved[2 * i] = p.l[i];
    interleaved[2 * i + 1] = p.r[i];
  }
  ebur128_add_frames_double(st, interleaved.data(), p.l.size());
  double value = 0.0;
  get(st, &value);
  ebur128_destroy(&st);
  return value;
}

// LRA of the same programme by libebur128 (its own gates and percentiles).
double libebur128_range(const Program& p) {
  return libebur128_reading(p, EBUR128_MODE_LRA, ebur128_loudness_range);
}

// Tech 3342's relative gate sits 20 LU under the mean of the short-term values. 60 s at
// -20 LUFS and 20 s at -40.74: the mean is -21.24 LUFS, the gate -41.24, so the quiet part
// lies 0.5 LU above the gate and counts (LRA ~20.7); a gate 1 LU higher would drop it and
// leave the loud part alone (LRA ~0).
TEST(LoudnessMeter, LoudnessRangeRelativeGateKeepsWhatLiesJustAboveIt) {
  const Program p = tone({{60, -20.0}, {20, -40.74}});
  const double mean = 10.0 * std::log10((60.0 * 1e-2 + 20.0 * std::pow(10.0, -4.074)) / 80.0);
  ASSERT_NEAR(-40.74 - (mean - 20.0), 0.5, 0.05);  // the material straddles the gate
  const double range = measure(p).lra_lu;
  EXPECT_NEAR(range, 20.74, 0.3);
  EXPECT_NEAR(range, libebur128_range(p), 1.0);
  // 1.5 LU lower the quiet part falls under the gate and is left out.
  const Program below = tone({{60, -20.0}, {20, -42.24}});
  EXPECT_LT(measure(below).lra_lu, 1.0);
  EXPECT_NEAR(measure(below).lra_lu, libebur128_range(below), 1.0);
}

// Tech 3342's absolute gate at -70 LUFS: 30 s at -69.5 LUFS after 60 s at -50 counts (0.5 LU
// above it; the relative gate is at -71.7), 30 s at -70.5 does not.
TEST(LoudnessMeter, LoudnessRangeAbsoluteGateAtMinus70) {
  const Program above = tone({{60, -50.0}, {30, -69.5}});
  EXPECT_NEAR(measure(above).lra_lu, 19.5, 0.3);
  EXPECT_NEAR(measure(above).lra_lu, libebur128_range(above), 1.0);
  const Program below = tone({{60, -50.0}, {30, -70.5}});
  EXPECT_LT(measure(below).lra_lu, 1.0);
  EXPECT_NEAR(measure(below).lra_lu, libebur128_range(below), 1.0);
}

// A restart on the audio thread (a locate, the engineer's reset) starts integrated, LRA
// and the maxima afresh: 20 s at -20 LUFS, then 20 s at -30 measured alone, against the
// same 20 s measured by a meter that only ever saw them.
TEST(LoudnessMeter, RestartMeasuresOnlyWhatFollows) {
  const Program loud = tone({{20, -20.0}});
  const Program quiet = tone({{10, -30.0}, {10, -36.0}});
  LoudnessMeter m;
  m.prepare(kRate, kBlock);
  feed(m, loud);
  EXPECT_NEAR(m.reading().integrated_lufs, -20.0, 0.1);
  m.restart();
  EXPECT_EQ(m.reading().integrated_lufs, -INFINITY);
  feed(m, quiet);
  const LoudnessReading alone = measure(quiet);
  EXPECT_NEAR(m.reading().integrated_lufs, alone.integrated_lufs, 0.05);
  EXPECT_NEAR(m.reading().lra_lu, alone.lra_lu, 0.2);
  EXPECT_GT(alone.lra_lu, 4.0);
  EXPECT_NEAR(m.reading().momentary_max_lufs, -30.0, 0.1);
  EXPECT_NEAR(m.reading().short_term_max_lufs, -30.0, 0.1);
  // The running windows went on: momentary reads the quiet tail, not silence.
  EXPECT_NEAR(m.reading().momentary_lufs, -36.0, 0.1);
}

// Integrated loudness from the meter's own gating histogram against libebur128's on
// programme whose level keeps changing (blocks near both gates).
TEST(LoudnessMeter, IntegratedAgreesWithLibebur128) {
  const Program p = tone({{5, -20.0}, {5, -29.5}, {5, -31.0}, {5, -69.0}, {5, -71.0}, {5, -25.0}});
  const double reference = libebur128_reading(p, EBUR128_MODE_I, ebur128_loudness_global);
  EXPECT_NEAR(measure(p).integrated_lufs, reference, 0.02);
}

// Tech 3341 cases 15-19 (true peak of generated sines): expected +0.2 / -0.4 dB.
TEST(PeakMeter, Tech3341GeneratedTruePeakCases) {
  struct Case {
    double amplitude, cycles_per_sample, phase_deg, expected_dbtp;
  };
  for (const Case c : {Case{0.5, 0.25, 0.0, -6.0}, Case{0.5, 0.25, 45.0, -6.0},
                       Case{0.5, 1.0 / 6, 60.0, -6.0}, Case{0.5, 0.125, 67.5, -6.0},
                       Case{1.41, 0.25, 45.0, 3.0}}) {
    // 1 s with 10 ms raised-cosine fades: an abrupt start would itself overshoot
    // between samples.
    Program p;
    for (int i = 0; i < 48000; ++i) {
      const double edge = std::min({1.0, i / 480.0, (47999 - i) / 480.0});
      const double fade = 0.5 - 0.5 * std::cos(std::numbers::pi * edge);
      p.l.push_back(fade * c.amplitude *
                    std::sin(2 * std::numbers::pi * c.cycles_per_sample * i +
                             c.phase_deg * std::numbers::pi / 180));
    }
    p.r = p.l;
    PeakMeter m;
    m.prepare(kRate);
    feed(m, p);
    const double tp = gain_to_db(m.true_peak_max()[0]);
    EXPECT_LE(tp, c.expected_dbtp + 0.2) << c.cycles_per_sample << " " << c.phase_deg;
    EXPECT_GE(tp, c.expected_dbtp - 0.4) << c.cycles_per_sample << " " << c.phase_deg;
  }
}

Program read_wav(const std::string& path, int& rate) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (f == nullptr) return {};
  rate = info.samplerate;
  std::vector<double> inter(static_cast<std::size_t>(info.frames * info.channels));
  sf_readf_double(f, inter.data(), info.frames);
  sf_close(f);
  Program p;
  for (sf_count_t i = 0; i < info.frames; ++i) {
    p.l.push_back(inter[static_cast<std::size_t>(i * info.channels)]);
    p.r.push_back(inter[static_cast<std::size_t>(i * info.channels + (info.channels > 1))]);
  }
  return p;
}

// Tech 3341 cases 20-23 from the EBU test set: 0.0 dBTP, +0.2 / -0.4 dB; their sample
// peaks are stated in tests/data/ebu-tech3341/README.md.
TEST(PeakMeter, Tech3341TruePeakFiles) {
  const double sample_peaks[] = {-0.130, -0.464, -2.507, -0.464};
  for (int n = 20; n <= 23; ++n) {
    int rate = 0;
    const Program p =
        read_wav(std::string(LACQUER_TESTDATA_DIR) + "/ebu-tech3341/3341-" + std::to_string(n) + ".wav", rate);
    ASSERT_EQ(p.l.size(), 153604u) << n;
    ASSERT_EQ(rate, 48000);
    ProgramMeter m;
    m.prepare(rate, kBlock);
    feed(m, p);
    const auto& r = m.reading();
    const double tp = std::max(r.true_peak_max_dbtp[0], r.true_peak_max_dbtp[1]);
    const double sp = std::max(r.sample_peak_max_dbfs[0], r.sample_peak_max_dbfs[1]);
    EXPECT_NEAR(sp, sample_peaks[n - 20], 0.01) << n;
    EXPECT_LE(tp, 0.2) << n;
    EXPECT_GE(tp, -0.4) << n;
    RecordProperty("case_" + std::to_string(n) + "_dbtp", ::testing::PrintToString(tp));
  }
}

TEST(PeakMeter, DisplayFallsAtItsRate) {
  PeakMeter m;
  m.prepare(kRate);
  Program p{std::vector<double>(48000, 0.0), std::vector<double>(48000, 0.0)};
  p.l[0] = 1.0;
  p.r[0] = 0.5;
  feed(m, p);
  // One second after a 0 dBFS sample.
  EXPECT_NEAR(gain_to_db(m.sample_peak()[0]), -PeakMeter::kFallDbPerS, 0.01);
  EXPECT_NEAR(gain_to_db(m.sample_peak()[1]), -6.02 - PeakMeter::kFallDbPerS, 0.01);
  EXPECT_EQ(m.sample_peak_max()[0], 1.0);
}

TEST(CorrelationMeter, KnownRelations) {
  std::mt19937 rng(11);
  std::normal_distribution<double> g(0.0, 0.1);
  const std::size_t n = 48000;
  std::vector<double> a(n), b(n), sine(n), cosine(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = g(rng);
    b[i] = g(rng);
    sine[i] = std::sin(2 * std::numbers::pi * 440.0 * i / kRate);
    cosine[i] = std::cos(2 * std::numbers::pi * 440.0 * i / kRate);
  }
  std::vector<double> neg(n);
  for (std::size_t i = 0; i < n; ++i) neg[i] = -a[i];
  auto corr = [&](const std::vector<double>& l, const std::vector<double>& r) {
    CorrelationMeter m;
    m.prepare(kRate);
    m.process(l.data(), r.data(), static_cast<std::uint32_t>(n));
    return std::pair{m.correlation(), m.minimum()};
  };
  EXPECT_NEAR(corr(a, a).first, 1.0, 1e-12);
  EXPECT_NEAR(corr(a, neg).first, -1.0, 1e-12);
  EXPECT_NEAR(corr(a, neg).second, -1.0, 1e-12);
  EXPECT_NEAR(corr(a, b).first, 0.0, 0.1);  // 300 ms of independent noise
  EXPECT_NEAR(corr(sine, cosine).first, 0.0, 0.01);
  const std::vector<double> silence(n, 0.0);
  EXPECT_EQ(corr(silence, silence).first, 0.0);
}

TEST(ProgramMeter, PlrOfASineIsItsCrestAgainstLoudness) {
  // Stereo 1 kHz at -23 dBFS: true peak -23 dBTP, loudness -23 LUFS, PLR 0 dB.
  ProgramMeter m;
  m.prepare(kRate, kBlock);
  feed(m, tone({{10.0, -23}}));
  EXPECT_NEAR(m.reading().plr_db, 0.0, 0.1);
  EXPECT_NEAR(m.reading().correlation, 1.0, 1e-9);
  EXPECT_EQ(plr_db(-1.0, -14.0), 13.0);
  EXPECT_EQ(plr_db(-1.0, -INFINITY), 0.0);
}

TEST(ProgramMeter, AudioThreadPathDoesNotAllocate) {
  if (!LACQUER_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocation counting is off under sanitizers";
#if LACQUER_COUNT_ALLOCATIONS
  // The counter sees libebur128's allocations: without histogram mode, gating blocks
  // go into a growing list.
  {
    ebur128_state* st = ebur128_init(2, 48000, EBUR128_MODE_I);
    std::vector<double> frames(2 * 48000, 0.1);
    g_allocations = 0;
    g_counting = true;
    ebur128_add_frames_double(st, frames.data(), 48000);
    g_counting = false;
    EXPECT_GT(g_allocations.load(), 0);
    ebur128_destroy(&st);
  }
  // Through every reading (momentary, short-term, integrated, LRA, peaks, correlation)
  // and a restart at 7 s, over 40 s of changing programme in odd block sizes.
  ProgramMeter m;
  m.prepare(kRate, kBlock);
  const Program p = tone({{10, -20}, {10, -30}, {10, -12}, {10, -40}});
  std::mt19937 rng(2);
  std::uniform_int_distribution<std::uint32_t> size(1, kBlock);
  g_allocations = 0;
  g_counting = true;
  for (std::size_t pos = 0; pos < p.l.size();) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(size(rng), p.l.size() - pos));
    if (pos < 7 * 48000 && pos + n >= 7 * 48000) m.restart();
    m.process(p.l.data() + pos, p.r.data() + pos, n);
    pos += n;
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_GT(m.reading().loudness.lra_lu, 5.0);  // the path really computed LRA
#endif
}

}  // namespace
}  // namespace lacquer::dsp
