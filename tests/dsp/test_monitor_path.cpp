// The monitor path: listening-switch matrices, gain staging, delay, correction EQ,
// translation curves, platform preview gains and loudness-matched compare.
#include <gtest/gtest.h>

#include <ebur128.h>

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/monitor_path.hpp"
#include "lacquer/dsp/targets.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kFs = 48000.0;
constexpr std::uint32_t kBlock = 256;
constexpr double kPi = std::numbers::pi;

struct Stereo {
  std::vector<double> ch[2];
  explicit Stereo(std::size_t n = 0) : ch{std::vector<double>(n), std::vector<double>(n)} {}
  std::size_t size() const { return ch[0].size(); }
};

Stereo sines(std::size_t n, double f_left, double a_left, double f_right, double a_right) {
  Stereo s(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / kFs;
    s.ch[0][i] = a_left * std::sin(2.0 * kPi * f_left * t);
    s.ch[1][i] = a_right * std::sin(2.0 * kPi * f_right * t);
  }
  return s;
}

// Runs the path in blocks over the sources in Compare order (null: not running);
// `params_at` may change parameters before each block.
template <typename F>
Stereo run_sources(MonitorPath& m, const std::array<const Stereo*, MonitorPath::kSources>& src,
                   F params_at, Stereo* listen = nullptr) {
  Stereo out(src[0]->size());
  if (listen != nullptr) *listen = Stereo(out.size());
  for (std::size_t off = 0; off < out.size(); off += kBlock) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(kBlock, out.size() - off));
    params_at(off);
    MonitorPath::Sources sources{};
    for (int k = 0; k < MonitorPath::kSources; ++k) {
      if (src[k] != nullptr) sources[k] = {src[k]->ch[0].data() + off, src[k]->ch[1].data() + off};
    }
    double* o[2] = {out.ch[0].data() + off, out.ch[1].data() + off};
    if (listen == nullptr) {
      m.process(sources, o, n);
    } else {
      double* l[2] = {listen->ch[0].data() + off, listen->ch[1].data() + off};
      m.process(sources, o, n, l);
    }
  }
  return out;
}

template <typename F>
Stereo run(MonitorPath& m, const Stereo& chain, const Stereo& bypass, F params_at) {
  return run_sources(m, {&chain, &bypass, nullptr, nullptr}, params_at);
}

Stereo run(MonitorPath& m, const Stereo& chain) {
  return run(m, chain, chain, [](std::size_t) {});
}

MonitorPath prepared(const MonitorPath::Params& p) {
  MonitorPath m;
  m.prepare(kFs, kBlock);
  m.reset(p);
  return m;
}

// Amplitude of the component at `f` (least squares against sin/cos) over [from, end).
double amplitude_at(const std::vector<double>& x, double f, std::size_t from) {
  double s = 0.0, c = 0.0;
  for (std::size_t i = from; i < x.size(); ++i) {
    const double ph = 2.0 * kPi * f * static_cast<double>(i) / kFs;
    s += x[i] * std::sin(ph);
    c += x[i] * std::cos(ph);
  }
  const double n = static_cast<double>(x.size() - from);
  return 2.0 * std::hypot(s, c) / n;
}

TEST(MonitorPath, DefaultIsIdentity) {
  MonitorPath m = prepared({});
  const Stereo in = sines(4800, 440.0, 0.5, 1000.0, 0.25);
  const Stereo out = run(m, in);
  for (int c = 0; c < 2; ++c) {
    for (std::size_t i = 0; i < in.size(); ++i) ASSERT_NEAR(out.ch[c][i], in.ch[c][i], 1e-12);
  }
}

TEST(MonitorPath, ListeningSwitchMatrices) {
  // Left and right at different frequencies: each output's content at each frequency shows
  // which input reached it and with what gain.
  const Stereo in = sines(48000, 500.0, 0.5, 1500.0, 0.5);
  struct Case {
    bool mono, side;
    MonitorPath::Solo solo;
    double l_from_l, l_from_r, r_from_l, r_from_r;  // amplitude ratios
  };
  const Case cases[] = {
      {true, false, MonitorPath::Solo::off, 0.5, 0.5, 0.5, 0.5},
      {false, true, MonitorPath::Solo::off, 0.5, 0.5, 0.5, 0.5},  // (L - R) / 2: |.| = 0.5
      {false, false, MonitorPath::Solo::left, 1.0, 0.0, 1.0, 0.0},
      {true, false, MonitorPath::Solo::right, 0.0, 1.0, 0.0, 1.0},  // solo wins over mono
  };
  for (const Case& k : cases) {
    MonitorPath::Params p;
    p.mono = k.mono;
    p.side_solo = k.side;
    p.solo = k.solo;
    MonitorPath m = prepared(p);
    const Stereo out = run(m, in);
    EXPECT_NEAR(amplitude_at(out.ch[0], 500.0, 0), 0.5 * k.l_from_l, 1e-6);
    EXPECT_NEAR(amplitude_at(out.ch[0], 1500.0, 0), 0.5 * k.l_from_r, 1e-6);
    EXPECT_NEAR(amplitude_at(out.ch[1], 500.0, 0), 0.5 * k.r_from_l, 1e-6);
    EXPECT_NEAR(amplitude_at(out.ch[1], 1500.0, 0), 0.5 * k.r_from_r, 1e-6);
  }
  // Side solo is L - R: a centred (identical) signal cancels.
  MonitorPath::Params p;
  p.side_solo = true;
  MonitorPath m = prepared(p);
  const Stereo centred = sines(4800, 700.0, 0.5, 700.0, 0.5);
  const Stereo out = run(m, centred);
  for (std::size_t i = 0; i < out.size(); ++i) ASSERT_NEAR(out.ch[0][i], 0.0, 1e-12);
}

TEST(MonitorPath, GainStagingDimMuteCalibrationTrim) {
  MonitorPath::Params p;
  p.level_db = -6.0;
  p.dim = true;
  p.dim_db = -20.0;
  p.speaker_set = 2;
  p.sets[2].calibration_db = 3.0;
  p.sets[2].speakers[1].trim_db = -1.5;
  p.sets[0].calibration_db = 40.0;  // another set: must not count
  MonitorPath m = prepared(p);
  const Stereo in = sines(9600, 1000.0, 0.5, 1000.0, 0.5);
  const Stereo out = run(m, in);
  EXPECT_NEAR(amplitude_at(out.ch[0], 1000.0, 0), 0.5 * db_to_gain(-6.0 - 20.0 + 3.0), 1e-9);
  EXPECT_NEAR(amplitude_at(out.ch[1], 1000.0, 0), 0.5 * db_to_gain(-6.0 - 20.0 + 3.0 - 1.5),
              1e-9);

  // Mute ramps to silence within the smoothing time and stays there.
  Stereo muted = run(m, in, in, [&](std::size_t off) {
    p.mute = off >= 2400;
    m.set_params(p);
  });
  for (std::size_t i = 2400 + 1200; i < muted.size(); ++i) ASSERT_EQ(muted.ch[0][i], 0.0);
}

TEST(MonitorPath, SpeakerDelayInSamples) {
  MonitorPath::Params p;
  p.sets[0].speakers[0].delay_ms = 2.5;  // 120 samples at 48 kHz
  MonitorPath m = prepared(p);
  Stereo impulse(1024);
  impulse.ch[0][10] = impulse.ch[1][10] = 1.0;
  const Stereo out = run(m, impulse);
  EXPECT_EQ(out.ch[0][130], 1.0);
  EXPECT_EQ(out.ch[1][10], 1.0);
}

TEST(MonitorPath, DelayChangeIsCrossfaded) {
  // A 100 Hz sine at 0.5 moves at most 0.5 * 2 pi * 100 / fs per sample; a crossfade of two
  // taps over 10 ms adds at most |tap difference| / 480 <= 1 / 480.
  MonitorPath::Params p;
  MonitorPath m = prepared(p);
  const Stereo in = sines(24000, 100.0, 0.5, 100.0, 0.5);
  const Stereo out = run(m, in, in, [&](std::size_t off) {
    p.sets[0].speakers[0].delay_ms = off >= 4800 ? 5.0 : 0.0;
    m.set_params(p);
  });
  const double bound = 0.5 * 2.0 * kPi * 100.0 / kFs + 1.0 / 480.0 + 1e-9;
  for (std::size_t i = 1; i < out.size(); ++i) {
    ASSERT_LE(std::abs(out.ch[0][i] - out.ch[0][i - 1]), bound) << "at " << i;
  }
  // And the new delay is in place afterwards.
  for (std::size_t i = 12000; i < out.size(); ++i) ASSERT_NEAR(out.ch[0][i], in.ch[0][i - 240], 1e-12);
}

TEST(MonitorPath, CorrectionBellHasItsGainAtCentre) {
  MonitorPath::Params p;
  p.sets[0].speakers[0].eq[1] = {.freq_hz = 1000.0, .gain_db = -6.0, .q = 2.0};
  MonitorPath m = prepared(p);
  const Stereo in = sines(48000, 1000.0, 0.5, 1000.0, 0.5);
  const Stereo out = run(m, in);
  EXPECT_NEAR(gain_to_db(amplitude_at(out.ch[0], 1000.0, 4800) / 0.5), -6.0, 0.01);
  EXPECT_NEAR(gain_to_db(amplitude_at(out.ch[1], 1000.0, 4800) / 0.5), 0.0, 1e-6);
}

// Magnitude (dB) of a bilinear Butterworth high/low-pass of `order`, pre-warped at fc: the
// analog response with the frequency ratio taken on the warped axis, tan(pi f / fs).
double warped_ratio(double f, double fc) { return std::tan(kPi * f / kFs) / std::tan(kPi * fc / kFs); }
double hp_db(double f, double fc, int order) {
  return -10.0 * std::log10(1.0 + std::pow(1.0 / warped_ratio(f, fc), 2.0 * order));
}
double lp_db(double f, double fc, int order) {
  return -10.0 * std::log10(1.0 + std::pow(warped_ratio(f, fc), 2.0 * order));
}

TEST(MonitorPath, PhonePreviewIsMonoBandLimited) {
  MonitorPath::Params p;
  p.preview = MonitorPath::Preview::phone;
  MonitorPath m = prepared(p);
  // Left only: a mono speaker plays (L + R) / 2 on both sides.
  for (const double f : {100.0, 2500.0, 16000.0}) {
    m.reset(p);
    const Stereo in = sines(48000, f, 0.5, f, 0.0);
    const Stereo out = run(m, in);
    const double db = gain_to_db(amplitude_at(out.ch[0], f, 9600) / 0.25);
    EXPECT_NEAR(amplitude_at(out.ch[1], f, 9600), amplitude_at(out.ch[0], f, 9600), 1e-12);
    double expected = hp_db(f, 600.0, 4) + lp_db(f, 8000.0, 2);
    if (f == 2500.0) expected += 5.0;  // the bell's own gain at its centre
    EXPECT_NEAR(db, expected, f == 2500.0 ? 0.3 : 0.05) << f;  // plus the bell's skirt
  }
}

TEST(MonitorPath, TranslationCurvesShape) {
  struct Probe {
    MonitorPath::Preview preview;
    double f;
    double expected_db;
    double tol_db;
  };
  const Probe probes[] = {
      {MonitorPath::Preview::laptop, 100.0, hp_db(100.0, 250.0, 4), 0.5},
      {MonitorPath::Preview::laptop, 4000.0, 4.0, 0.6},
      {MonitorPath::Preview::car, 30.0, 6.0 + hp_db(30.0, 35.0, 2), 1.0},
      {MonitorPath::Preview::car, 15000.0, -5.0, 0.3},
      {MonitorPath::Preview::earbuds, 3000.0, 3.0, 0.8},
  };
  for (const Probe& k : probes) {
    MonitorPath::Params p;
    p.preview = k.preview;
    MonitorPath m = prepared(p);
    const Stereo in = sines(96000, k.f, 0.5, k.f, 0.5);
    const Stereo out = run(m, in);
    EXPECT_NEAR(gain_to_db(amplitude_at(out.ch[0], k.f, 24000) / 0.5), k.expected_db, k.tol_db)
        << static_cast<int>(k.preview) << " at " << k.f;
  }
}

TEST(MonitorPath, PlatformPreviewGainsFollowServiceRules) {
  MonitorPath::Loudness loud{};
  loud[0] = {.integrated_lufs = -8.0, .short_term_lufs = -8.0, .true_peak_dbtp = -0.2};
  loud[1] = {.integrated_lufs = -20.0, .short_term_lufs = -20.0, .true_peak_dbtp = -6.0};
  struct Case {
    MonitorPath::Preview preview;
    double chain_db, bypass_db;
  };
  const Case cases[] = {
      {MonitorPath::Preview::flat, 0.0, 0.0},
      {MonitorPath::Preview::spotify, -6.0, 5.0},  // up 6 wanted, peak allows 5
      {MonitorPath::Preview::apple, -8.0, 4.0},
      {MonitorPath::Preview::youtube, -6.0, 0.0},  // never turns up
      {MonitorPath::Preview::tidal, -6.0, 0.0},
      {MonitorPath::Preview::deezer, -7.0, 0.0},
      {MonitorPath::Preview::amazon, -6.0, 0.0},
  };
  for (const Case& k : cases) {
    MonitorPath::Params p;
    p.preview = k.preview;
    const auto g = MonitorPath::source_gains_db(p, loud);
    EXPECT_DOUBLE_EQ(g[0], k.chain_db) << static_cast<int>(k.preview);
    EXPECT_DOUBLE_EQ(g[1], k.bypass_db) << static_cast<int>(k.preview);
  }

  // The audio gets that gain once the glide has settled.
  MonitorPath::Params p;
  p.preview = MonitorPath::Preview::deezer;
  MonitorPath m = prepared(p);
  m.set_loudness(loud);
  m.set_params(p);
  const Stereo in = sines(48000, 1000.0, 0.5, 1000.0, 0.5);
  const Stereo out = run(m, in);
  EXPECT_NEAR(gain_to_db(amplitude_at(out.ch[0], 1000.0, 24000) / 0.5), -7.0, 1e-6);
}

double integrated_lufs(const Stereo& s, std::size_t from) {
  ebur128_state* st = ebur128_init(2, static_cast<unsigned long>(kFs), EBUR128_MODE_I);
  std::vector<double> inter;
  for (std::size_t i = from; i < s.size(); ++i) {
    inter.push_back(s.ch[0][i]);
    inter.push_back(s.ch[1][i]);
  }
  ebur128_add_frames_double(st, inter.data(), inter.size() / 2);
  double lufs = 0.0;
  ebur128_loudness_global(st, &lufs);
  ebur128_destroy(&st);
  return lufs;
}

// Noise with a 220 Hz tone (the "bypass"), and the same brightened and made 7 dB louder (the
// "chain"): a spectral change, not a plain gain, so a match must rest on the loudness
// measurements.
std::array<Stereo, 2> plain_and_brightened(std::size_t n) {
  Stereo plain(n), bright(n);
  std::uint32_t seed = 12345;
  auto noise = [&] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<double>(seed) / 4294967296.0 - 0.5;
  };
  const BiquadCoeffs shelf = design_biquad(BiquadShape::high_shelf, kFs, 3000.0, 0.707, 9.0);
  BiquadState st[2];
  for (std::size_t i = 0; i < n; ++i) {
    for (int c = 0; c < 2; ++c) {
      plain.ch[c][i] = 0.2 * noise() + 0.1 * std::sin(2.0 * kPi * 220.0 * i / kFs);
      bright.ch[c][i] = db_to_gain(7.0) * st[c].process(shelf, plain.ch[c][i]);
    }
  }
  return {plain, bright};
}

TEST(MonitorPath, LoudnessMatchedCompareLevels) {
  const auto [bypass, chain] = plain_and_brightened(10 * static_cast<std::size_t>(kFs));
  MonitorPath::Loudness l{};
  l[0].integrated_lufs = integrated_lufs(chain, 0);
  l[1].integrated_lufs = integrated_lufs(bypass, 0);
  ASSERT_GT(l[0].integrated_lufs - l[1].integrated_lufs, 7.0);

  double heard[2];
  for (int s = 0; s < 2; ++s) {
    MonitorPath::Params p;
    p.match = true;
    p.compare = s == 0 ? MonitorPath::Compare::chain : MonitorPath::Compare::bypass;
    MonitorPath m = prepared(p);
    m.set_loudness(l);
    m.reset(p);
    heard[s] = integrated_lufs(run(m, chain, bypass, [](std::size_t) {}), 0);
  }
  EXPECT_NEAR(heard[0], heard[1], 0.5);
  // Nothing is raised: both play at the quieter source's loudness.
  EXPECT_NEAR(heard[1], l[1].integrated_lufs, 0.05);
}

TEST(MonitorPath, SnapshotCompareHearsAOrBMatchedBetweenThem) {
  // Snapshot A plays the plain signal, B the brighter, louder one; the chain and bypass
  // sources carry other signals that must not be heard.
  const auto [a, b] = plain_and_brightened(10 * static_cast<std::size_t>(kFs));
  const Stereo chain = sines(a.size(), 1000.0, 0.9, 1000.0, 0.9);
  const Stereo bypass = sines(a.size(), 300.0, 0.9, 300.0, 0.9);
  MonitorPath::Loudness l{};
  l[0].integrated_lufs = integrated_lufs(chain, 0);
  l[1].integrated_lufs = integrated_lufs(bypass, 0);
  l[2].integrated_lufs = integrated_lufs(a, 0);
  l[3].integrated_lufs = integrated_lufs(b, 0);

  // Unmatched, each snapshot is heard exactly, after the switch's crossfade.
  for (int s = 0; s < 2; ++s) {
    MonitorPath::Params p;
    MonitorPath m = prepared(p);
    m.set_loudness(l);
    p.compare = s == 0 ? MonitorPath::Compare::a : MonitorPath::Compare::b;
    std::size_t switched_at = 0;
    const Stereo out = run_sources(m, {&chain, &bypass, &a, &b}, [&](std::size_t off) {
      if (off >= 4800 && switched_at == 0) {
        m.set_params(p);
        switched_at = off;
      }
    });
    const Stereo& want = s == 0 ? a : b;
    EXPECT_EQ(out.ch[0][1000], chain.ch[0][1000]);
    for (std::size_t i = switched_at + 480; i < out.size(); i += 97) {
      ASSERT_EQ(out.ch[0][i], want.ch[0][i]) << s << " " << i;
      ASSERT_EQ(out.ch[1][i], want.ch[1][i]) << s << " " << i;
    }
  }

  // Matched, A and B play at the quieter one's loudness; the chain and bypass loudness do
  // not enter.
  double heard[2];
  for (int s = 0; s < 2; ++s) {
    MonitorPath::Params p;
    p.match = true;
    p.compare = s == 0 ? MonitorPath::Compare::a : MonitorPath::Compare::b;
    MonitorPath m = prepared(p);
    m.set_loudness(l);
    m.reset(p);
    heard[s] = integrated_lufs(run_sources(m, {&chain, &bypass, &a, &b}, [](std::size_t) {}), 0);
  }
  EXPECT_NEAR(heard[0], l[2].integrated_lufs, 0.05);
  EXPECT_NEAR(heard[1], l[2].integrated_lufs, 0.5);

  // A snapshot chain that is not running plays silence.
  MonitorPath::Params p;
  p.compare = MonitorPath::Compare::b;
  MonitorPath m = prepared(p);
  const Stereo out = run_sources(m, {&chain, &bypass, nullptr, nullptr}, [](std::size_t) {});
  double loudest = 0.0;
  for (const double v : out.ch[0]) loudest = std::max(loudest, std::abs(v));
  EXPECT_EQ(loudest, 0.0);
}

TEST(MonitorPath, ReferenceIsHeardUnprocessedAndMatchedWithTheChain) {
  // The reference is the plain signal, the chain the brighter, louder one; the bypass is far
  // quieter than both, so a chain matched with the bypass instead of the reference would be
  // heard ~20 LU lower.
  const auto [reference, chain] = plain_and_brightened(10 * static_cast<std::size_t>(kFs));
  const Stereo bypass = sines(chain.size(), 300.0, 0.02, 300.0, 0.02);
  MonitorPath::Loudness l{};
  l[0].integrated_lufs = integrated_lufs(chain, 0);
  l[1].integrated_lufs = integrated_lufs(bypass, 0);
  l[4].integrated_lufs = integrated_lufs(reference, 0);
  ASSERT_GT(l[4].integrated_lufs - l[1].integrated_lufs, 15.0);
  const std::array<const Stereo*, MonitorPath::kSources> all{&chain, &bypass, nullptr, nullptr,
                                                            &reference};

  // Unmatched, the reference is heard sample for sample after the switch's crossfade.
  {
    MonitorPath::Params p;
    MonitorPath m = prepared(p);
    p.compare = MonitorPath::Compare::reference;
    std::size_t switched_at = 0;
    const Stereo out = run_sources(m, all, [&](std::size_t off) {
      if (off >= 4800 && switched_at == 0) {
        m.set_params(p);
        switched_at = off;
      }
    });
    EXPECT_EQ(out.ch[0][1000], chain.ch[0][1000]);
    for (std::size_t i = switched_at + 480; i < out.size(); i += 97) {
      ASSERT_EQ(out.ch[0][i], reference.ch[0][i]) << i;
      ASSERT_EQ(out.ch[1][i], reference.ch[1][i]) << i;
    }
  }

  // Matched: the reference plays as it is (the quieter), the chain comes down to it, and the
  // chain stays matched with the reference once the engineer flips back to it.
  MonitorPath::Params p;
  p.match = true;
  p.compare = MonitorPath::Compare::reference;
  MonitorPath m = prepared(p);
  m.set_loudness(l);
  m.reset(p);
  EXPECT_EQ(m.partner(), MonitorPath::Compare::reference);
  const double heard_reference = integrated_lufs(run_sources(m, all, [](std::size_t) {}), 0);
  p.compare = MonitorPath::Compare::chain;
  m.set_params(p);
  m.reset(p);
  EXPECT_EQ(m.partner(), MonitorPath::Compare::reference);
  const double heard_chain = integrated_lufs(run_sources(m, all, [](std::size_t) {}), 0);
  EXPECT_NEAR(heard_reference, l[4].integrated_lufs, 0.05);
  EXPECT_NEAR(heard_chain, l[4].integrated_lufs, 0.5);
  // Comparing with the bypass makes it the chain's partner again.
  p.compare = MonitorPath::Compare::bypass;
  m.set_params(p);
  EXPECT_EQ(m.partner(), MonitorPath::Compare::bypass);
}

TEST(MonitorPath, ListenFeedIsTheComparedSourceWithoutTheRoom) {
  const std::size_t n = 2 * static_cast<std::size_t>(kFs);
  const Stereo chain = sines(n, 1000.0, 0.5, 700.0, 0.4);
  const Stereo bypass = sines(n, 300.0, 0.5, 300.0, 0.5);
  const Stereo reference = sines(n, 440.0, 0.3, 550.0, 0.2);
  const std::array<const Stereo*, MonitorPath::kSources> all{&chain, &bypass, nullptr, nullptr,
                                                            &reference};
  // Everything the room adds: level, dim, calibration, trims, correction, delay, mono.
  MonitorPath::Params p;
  p.level_db = -12.0;
  p.dim = true;
  p.mono = true;
  p.sets[0].calibration_db = -3.0;
  p.sets[0].speakers[0] = {2.0, 4.0, {{{100.0, 6.0, 2.0}, {}, {}, {}}}};
  p.sets[0].speakers[1] = {-1.0, 0.0, {}};
  for (const auto compare : {MonitorPath::Compare::chain, MonitorPath::Compare::reference}) {
    p.compare = compare;
    MonitorPath m = prepared(p);
    Stereo listen;
    const Stereo out = run_sources(m, all, [](std::size_t) {}, &listen);
    const Stereo& want = compare == MonitorPath::Compare::chain ? chain : reference;
    for (std::size_t i = 0; i < n; i += 89) {
      ASSERT_EQ(listen.ch[0][i], want.ch[0][i]) << i;
      ASSERT_EQ(listen.ch[1][i], want.ch[1][i]) << i;
    }
    // The room hears something else entirely (the test is not vacuous).
    EXPECT_GT(std::abs(out.ch[1][n / 2 + 7] - want.ch[1][n / 2 + 7]), 1e-3);
  }

  // A platform preview gain and the loudness match are part of what is heard.
  MonitorPath::Loudness l{};
  l[0].integrated_lufs = -8.0;
  l[4].integrated_lufs = -14.0;
  p.match = true;
  p.compare = MonitorPath::Compare::reference;
  MonitorPath m = prepared(p);
  m.set_loudness(l);
  m.reset(p);
  p.compare = MonitorPath::Compare::chain;
  m.set_params(p);
  m.reset(p);
  Stereo listen;
  run_sources(m, all, [](std::size_t) {}, &listen);
  EXPECT_NEAR(listen.ch[0][n / 2] / chain.ch[0][n / 2], db_to_gain(-6.0), 1e-9);
}

}  // namespace
}  // namespace lacquer::dsp
