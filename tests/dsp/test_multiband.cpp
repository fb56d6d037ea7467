// The multiband stage measured through the stage: transparency while neutral, soloed bands and
// the unity sum against the analytic Linkwitz-Riley responses, one band compressing a steady
// tone against the static curve applied to that band's analytic share of the tone, and
// mid/side processing keeping a side-only signal side-only.

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "lacquer/dsp/multiband_stage.hpp"
#include "response_probe.hpp"
#include "signals.hpp"

namespace lacquer::dsp {
namespace {

using test::max_step;
using test::noise;
using test::sine;

using test::Complex;
using test::lr4_all;
using test::lr4_high;
using test::lr4_low;
const std::array<double, 3> kSplits = {120.0, 1000.0, 6000.0};

// Band `band` (0-based) of the 4-band tree at kSplits.
Complex band_h(int band, double f, double fs) {
  Complex h = 1.0;
  for (int k = 0; k < band && k < 3; ++k) h *= lr4_high(f, kSplits[k], fs);
  if (band < 3) h *= lr4_low(f, kSplits[band], fs);
  for (int k = band + 1; k < 3; ++k) h *= lr4_all(f, kSplits[k], fs);
  return h;
}

TEST(Multiband, NeutralIsBitTransparentAndReturnsToIt) {
  const auto in = noise(24000, 1);
  MultibandStage mb;
  mb.prepare(48000.0, 256);
  auto l = in, r = in;
  test::run_stage(mb, l, r);
  EXPECT_EQ(l, in);

  MultibandStage::Params p;
  p.band[1].dynamics = {.threshold_db = -30.0, .ratio = 4.0};
  mb.set_params(p);
  l = in, r = in;
  test::run_stage(mb, l, r);
  EXPECT_NE(l, in);
  EXPECT_GT(mb.gain_reduction_db(), 1.0);

  // Bypassing the only compressing band makes the stage neutral again: it fades to dry.
  p.band[1].bypass = true;
  mb.set_params(p);
  l = in, r = in;
  test::run_stage(mb, l, r);
  l = in, r = in;
  test::run_stage(mb, l, r);
  EXPECT_EQ(l, in);
  EXPECT_EQ(mb.latency_frames(), 0u);
}

TEST(Multiband, SoloedBandsAndUnitySumMatchLinkwitzRiley) {
  for (double fs : {44100.0, 48000.0, 96000.0}) {
    // Solo: only the soloed band is heard.
    for (int solo : {0, 2, 3}) {
      MultibandStage::Params p;
      p.band[solo].solo = true;
      MultibandStage mb;
      mb.prepare(fs, 256);
      mb.reset(p);
      const auto h = test::impulse_response(
          [&](double* l, double* r, std::uint32_t n) { mb.process(l, r, n); },
          static_cast<std::size_t>(fs / 2));
      for (double f = 20.0; f <= 20000.0; f *= 2.0) {
        EXPECT_LT(std::abs(test::dft_at(h, f, fs) - band_h(solo, f, fs)), 1e-7)
            << "solo " << solo << " fs " << fs << " f " << f;
      }
    }
    // Engaged at unity (a band with a ratio whose threshold the impulse never reaches): the
    // stage is the crossover's allpass, flat within 0.01 dB.
    MultibandStage::Params p;
    p.band[0].dynamics = {.threshold_db = 0.0, .ratio = 2.0, .knee_db = 0.0};
    MultibandStage mb;
    mb.prepare(fs, 256);
    mb.reset(p);
    const auto h = test::impulse_response(
        [&](double* l, double* r, std::uint32_t n) {
          for (std::uint32_t i = 0; i < n; ++i) l[i] *= 0.5, r[i] *= 0.5;
          mb.process(l, r, n);
          for (std::uint32_t i = 0; i < n; ++i) l[i] *= 2.0, r[i] *= 2.0;
        },
        static_cast<std::size_t>(fs / 2));
    for (double f = 20.0; f <= 20000.0; f *= std::pow(2.0, 1.0 / 6.0)) {
      const Complex want = lr4_all(f, kSplits[0], fs) * lr4_all(f, kSplits[1], fs) *
                           lr4_all(f, kSplits[2], fs);
      const Complex got = test::dft_at(h, f, fs);
      EXPECT_LT(std::abs(test::mag_db(got)), 0.01) << fs << " " << f;
      EXPECT_LT(std::abs(got - want), 1e-7) << fs << " " << f;
    }
  }
}

TEST(Multiband, OneBandCompressesItsShareOfATone) {
  // A 9 kHz tone at -6 dBFS; band 4 (above 6 kHz) compresses at -30 dBFS, 4:1, hard knee, RMS
  // detector. Its detector sees |H4| A / sqrt(2); the output is (allpass + (g - 1) H4) x.
  const double fs = 48000.0, f = 9000.0, amp = 0.5;
  MultibandStage::Params p;
  p.detector = Detector::rms;
  p.band[3].dynamics = {.threshold_db = -30.0, .ratio = 4.0, .knee_db = 0.0, .attack_ms = 5.0,
                        .release_ms = 50.0};
  MultibandStage mb;
  mb.prepare(fs, 256);
  mb.reset(p);
  std::vector<double> l(48000), r(48000);
  for (std::size_t i = 0; i < l.size(); ++i) l[i] = r[i] = amp * std::sin(2 * std::numbers::pi * f * i / fs);
  test::run_stage(mb, l, r);
  double power = 0.0;
  for (std::size_t i = 24000; i < l.size(); ++i) power += l[i] * l[i];
  const double out_db = 10.0 * std::log10(power / 24000.0 / (amp * amp / 2.0));

  const Complex h4 = band_h(3, f, fs);
  const double level_db = 20.0 * std::log10(std::abs(h4) * amp / std::sqrt(2.0));
  const double g = db_to_gain(-0.75 * (level_db + 30.0));
  const Complex all = lr4_all(f, kSplits[0], fs) * lr4_all(f, kSplits[1], fs) * lr4_all(f, kSplits[2], fs);
  const double want_db = test::mag_db(all + (g - 1.0) * h4);
  std::printf("9 kHz tone: output %.4f dB, analytic %.4f dB; band 4 GR %.3f dB\n", out_db, want_db,
              mb.band_gain_reduction_db(3));
  EXPECT_NEAR(out_db, want_db, 0.01);
  EXPECT_NEAR(mb.band_gain_reduction_db(3), -gain_to_db(g), 0.01);
  EXPECT_EQ(mb.band_gain_reduction_db(0), 0.0);
}

TEST(Multiband, EachBandsCompressorActsOnItsOwnBandAndChannel) {
  // A tone in the middle of band k on the left channel only, every band set to compress it,
  // no link: band k of the left channel reduces gain, every other band and the right channel
  // stay at 0 dB.
  const double fs = 48000.0;
  const double tone_hz[4] = {40.0, 350.0, 2500.0, 12000.0};
  for (int k = 0; k < 4; ++k) {
    MultibandStage::Params p;
    p.link_pct = 0.0;
    for (auto& b : p.band) b.dynamics = {.threshold_db = -30.0, .ratio = 4.0};
    MultibandStage mb;
    mb.prepare(fs, 256);
    mb.reset(p);
    std::vector<double> l(24000), r(24000, 0.0);
    for (std::size_t i = 0; i < l.size(); ++i) l[i] = 0.5 * std::sin(2 * std::numbers::pi * tone_hz[k] * i / fs);
    test::run_stage(mb, l, r);
    for (int b = 0; b < 4; ++b) {
      if (b == k) {
        EXPECT_GT(mb.band_gain_reduction_db(b), 10.0) << "band " << b;
      } else {
        EXPECT_LT(mb.band_gain_reduction_db(b), 1.0) << "band " << b << " with a tone in " << k;
      }
    }
    double right = 0.0;
    for (const double v : r) right = std::max(right, std::abs(v));
    EXPECT_EQ(right, 0.0);
  }
}

TEST(Multiband, MidSideKeepsASideOnlySignalSideOnly) {
  MultibandStage::Params p;
  p.mode = MultibandStage::Mode::mid_side;
  p.link_pct = 0.0;
  for (auto& b : p.band) b.dynamics = {.threshold_db = -40.0, .ratio = 8.0};
  MultibandStage mb;
  mb.prepare(48000.0, 256);
  mb.reset(p);
  auto l = noise(24000, 2);
  std::vector<double> r(l.size());
  for (std::size_t i = 0; i < l.size(); ++i) r[i] = -l[i];
  test::run_stage(mb, l, r);
  double worst = 0.0;
  for (std::size_t i = 0; i < l.size(); ++i) worst = std::max(worst, std::abs(l[i] + r[i]));
  EXPECT_LT(worst, 1e-12);
  EXPECT_GT(mb.gain_reduction_db(), 10.0);
}

}  // namespace
}  // namespace lacquer::dsp
