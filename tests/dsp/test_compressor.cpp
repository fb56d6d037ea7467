// The glue compressor measured through the stage. The test signal is a tone at fs/4 with a
// 45 degree phase: every sample has the same magnitude A / sqrt(2), so peak and RMS detectors
// both see a constant level and the gain is read sample by sample as |y| / |x|. Static curve
// against the Giannoulis-Massberg-Reiss soft-knee formula; attack and release time constants
// defined as the time to 63.2 % (1 - 1/e) of a step change of the gain reduction in dB.

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <functional>
#include <numbers>
#include <random>
#include <vector>

#include "lacquer/dsp/comp_stage.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kFs = 48000.0;

// y = x + (1/R - 1)(x - T + W/2)^2 / (2W) in the knee, T + (x - T)/R above (JAES 2012, eq. 4).
double giannoulis_out_db(double x, double t, double r, double w) {
  if (2.0 * (x - t) < -w) return x;
  if (w > 0.0 && 2.0 * std::abs(x - t) <= w) return x + (1.0 / r - 1.0) * std::pow(x - t + w / 2.0, 2) / (2.0 * w);
  return t + (x - t) / r;
}

// Phase of the default 10 Hz side-chain high-pass (Butterworth, bilinear) at fs/4, from its
// prototype s^2 / (s^2 + sqrt(2) s + 1) at s = j tan(pi/4) / tan(pi 10 / fs).
double sidechain_phase_at_quarter() {
  const std::complex<double> s(0.0, 1.0 / std::tan(std::numbers::pi * 10.0 / kFs));
  return std::arg(s * s / (s * s + std::sqrt(2.0) * s + 1.0));
}

// Tone at fs/4 with amplitude `amp_at(n)`, phased so that after the side-chain high-pass it
// sits at 45 degrees: every side-chain sample then has the magnitude A / sqrt(2) (to 1e-13).
std::vector<double> quarter_tone(std::size_t n, const std::function<double(std::size_t)>& amp_at) {
  const double phase = std::numbers::pi / 4 - sidechain_phase_at_quarter();
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    v[i] = amp_at(i) * std::sin(std::numbers::pi * 0.5 * static_cast<double>(i) + phase);
  }
  return v;
}

// Runs the stage over stereo copies of x (blocks of 256) and returns the left gain in dB per
// sample.
std::vector<double> gain_db(CompStage& comp, const std::vector<double>& x) {
  std::vector<double> l = x, r = x;
  for (std::size_t pos = 0; pos < l.size(); pos += 256) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(256, l.size() - pos));
    comp.process(l.data() + pos, r.data() + pos, n);
  }
  std::vector<double> g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) g[i] = 20.0 * std::log10(std::abs(l[i] / x[i]));
  return g;
}

CompStage::Params curve(double threshold, double ratio, double knee, Detector det) {
  CompStage::Params p;
  p.dynamics = {.threshold_db = threshold, .ratio = ratio, .knee_db = knee, .attack_ms = 1.0,
                .release_ms = 20.0};
  p.detector = det;
  return p;
}

TEST(Compressor, StaticFunctionIsTheGiannoulisCurve) {
  for (double r : {1.5, 4.0, 20.0}) {
    for (double w : {0.0, 6.0, 12.0}) {
      for (double x = -60.0; x <= 6.0; x += 0.25) {
        const double want = x - giannoulis_out_db(x, -20.0, r, w);
        EXPECT_NEAR(static_gain_reduction_db(x, -20.0, 1.0 - 1.0 / r, w), want, 1e-12)
            << r << " " << w << " " << x;
      }
    }
  }
}

TEST(Compressor, StageFollowsTheStaticCurve) {
  for (Detector det : {Detector::peak, Detector::rms}) {
    for (double knee : {0.0, 10.0}) {
      for (double level_db = -40.0; level_db <= 0.0; level_db += 2.5) {
        CompStage comp;
        comp.prepare(kFs, 256);
        comp.reset(curve(-20.0, 4.0, knee, det));
        // Amplitude A gives samples of magnitude A / sqrt(2): the level is that, in dBFS.
        const double amp = std::sqrt(2.0) * db_to_gain(level_db);
        const auto g = gain_db(comp, quarter_tone(24000, [&](std::size_t) { return amp; }));
        const double want = giannoulis_out_db(level_db, -20.0, 4.0, knee) - level_db;
        EXPECT_NEAR(g.back(), want, 1e-4) << "detector " << static_cast<int>(det) << " knee "
                                          << knee << " level " << level_db;
      }
    }
  }
}

// Time (ms) at which the gain reduction, measured from the output, has covered 63.2 % of its
// change after the step at `step`, interpolated between samples.
double time_constant_ms(const std::vector<double>& g_db, std::size_t step) {
  const double before = g_db[step - 1];
  const double after = g_db.back();
  const double level = before + (after - before) * (1.0 - std::exp(-1.0));
  for (std::size_t i = step; i < g_db.size(); ++i) {
    const bool crossed = after < before ? g_db[i] <= level : g_db[i] >= level;
    if (crossed) {
      const double frac = (level - g_db[i - 1]) / (g_db[i] - g_db[i - 1]);
      // Sample `step` is the first with the new input: one sample of the new level has passed
      // once it is out.
      return (static_cast<double>(i - step) + frac) / kFs * 1e3;
    }
  }
  return INFINITY;
}

TEST(Compressor, AttackAndReleaseTimeConstants) {
  for (auto [attack, release] : {std::pair{5.0, 80.0}, std::pair{0.5, 400.0}, std::pair{30.0, 1500.0}}) {
    CompStage::Params p;
    p.dynamics = {.threshold_db = -30.0, .ratio = 10.0, .knee_db = 0.0, .attack_ms = attack,
                  .release_ms = release};
    CompStage comp;
    comp.prepare(kFs, 256);
    comp.reset(p);
    // -40 dBFS (no reduction) -> 0 dBFS (24.3 dB of reduction) -> -40 dBFS.
    const std::size_t up = 4800, down = up + static_cast<std::size_t>(12 * attack * 48) + 4800;
    const std::size_t end = down + static_cast<std::size_t>(12 * release * 48);
    const auto x = quarter_tone(end, [&](std::size_t i) {
      return i >= up && i < down ? 1.0 : 0.01;
    });
    const auto g = gain_db(comp, x);
    const std::vector<double> rising(g.begin(), g.begin() + down);
    const std::vector<double> falling(g.begin(), g.end());
    const double one_sample_ms = 1e3 / kFs;
    const double t_attack = time_constant_ms(rising, up);
    const double t_release = time_constant_ms(falling, down);
    std::printf("attack %.1f ms: measured %.4f ms; release %.0f ms: measured %.4f ms\n", attack,
                t_attack, release, t_release);
    EXPECT_NEAR(t_attack, attack, one_sample_ms);
    EXPECT_NEAR(t_release, release, one_sample_ms);
  }
}

TEST(Compressor, ParallelMixBlendsDryAndCompressed) {
  // At a steady reduction G (gain g), mix m gives 1 + m (g - 1).
  for (double mix : {0.0, 25.0, 50.0, 100.0}) {
    auto p = curve(-20.0, 4.0, 0.0, Detector::peak);
    p.mix_pct = mix;
    p.makeup_db = 3.0;
    CompStage comp;
    comp.prepare(kFs, 256);
    comp.reset(p);
    const double level_db = -6.0;
    const auto g = gain_db(comp, quarter_tone(24000, [&](std::size_t) {
      return std::sqrt(2.0) * db_to_gain(level_db);
    }));
    const double wet = db_to_gain(giannoulis_out_db(level_db, -20.0, 4.0, 0.0) - level_db + 3.0);
    EXPECT_NEAR(g.back(), gain_to_db(1.0 + mix / 100.0 * (wet - 1.0)), 1e-3) << mix;
  }
}

TEST(Compressor, AutoMakeupRestoresMinus18dBFS) {
  auto p = curve(-30.0, 3.0, 6.0, Detector::rms);
  p.auto_makeup = true;
  CompStage comp;
  comp.prepare(kFs, 256);
  comp.reset(p);
  const auto g = gain_db(comp, quarter_tone(24000, [](std::size_t) {
    return std::sqrt(2.0) * db_to_gain(-18.0);
  }));
  EXPECT_NEAR(g.back(), 0.0, 2e-3);
  EXPECT_FALSE(CompStage::Params{}.auto_makeup);
}

TEST(Compressor, SidechainHighPassIgnoresBass) {
  // A 40 Hz tone at -6 dBFS: with the side chain high-passed at 400 Hz its detected level
  // drops by the Butterworth attenuation |H(40 Hz)| = 1 / sqrt(1 + (400/40)^4), i.e. 40 dB,
  // so it falls below the -30 dBFS threshold.
  auto run = [](double hpf_hz) {
    auto p = curve(-30.0, 4.0, 0.0, Detector::peak);
    p.sidechain_hpf_hz = hpf_hz;
    p.dynamics.release_ms = 500.0;
    CompStage comp;
    comp.prepare(kFs, 256);
    comp.reset(p);
    std::vector<double> l(48000), r(48000);
    for (std::size_t i = 0; i < l.size(); ++i) l[i] = r[i] = 0.5 * std::sin(2 * std::numbers::pi * 40.0 * i / kFs);
    for (std::size_t pos = 0; pos < l.size(); pos += 256) {
      comp.process(l.data() + pos, r.data() + pos,
                   static_cast<std::uint32_t>(std::min<std::size_t>(256, l.size() - pos)));
    }
    return comp.gain_reduction_db();
  };
  // With the 10 Hz high-pass (-0.02 dB at 40 Hz) the crests reach the full 18 dB; the reading
  // is instantaneous, so allow the release droop between crests (12.5 ms of a 500 ms release).
  EXPECT_NEAR(run(10.0), 0.75 * (-6.0 + 30.0), 0.5);
  EXPECT_EQ(run(400.0), 0.0);
}

TEST(Compressor, DefaultsAndBypassAreBitTransparent) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> in(48000);
  for (double& v : in) v = u(rng);
  CompStage comp;
  comp.prepare(kFs, 256);
  std::vector<double> l = in, r = in;
  for (std::size_t pos = 0; pos < l.size(); pos += 256) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(256, l.size() - pos));
    comp.process(l.data() + pos, r.data() + pos, n);
  }
  EXPECT_EQ(l, in);
  EXPECT_EQ(comp.gain_reduction_db(), 0.0);

  // Compressing hard, then bypassed: after the 10 ms crossfade the output is the input.
  auto p = curve(-40.0, 10.0, 0.0, Detector::peak);
  comp.set_params(p);
  l = in;
  for (std::size_t pos = 0; pos < l.size(); pos += 256) comp.process(l.data() + pos, r.data() + pos, std::min<std::size_t>(256, l.size() - pos));
  EXPECT_GT(comp.gain_reduction_db(), 20.0);
  p.bypass = true;
  comp.set_params(p);
  l = in;
  comp.process(l.data(), r.data(), 256);
  comp.process(l.data() + 256, r.data() + 256, 256);
  l = in;
  for (std::size_t pos = 0; pos < l.size(); pos += 256) comp.process(l.data() + pos, r.data() + pos, std::min<std::size_t>(256, l.size() - pos));
  EXPECT_EQ(l, in);
  EXPECT_EQ(comp.latency_frames(), 0u);
}

}  // namespace
}  // namespace lacquer::dsp
