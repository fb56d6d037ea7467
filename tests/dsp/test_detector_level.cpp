// The detector levels the dynamics stages publish for the console's operating points: a
// steady tone reads its peak level with peak detection and its RMS level (3.01 dB lower for
// a sine) with RMS detection, the held value falls at Dynamics::kLevelFallDbPerS once the
// tone stops, and the gain reduction of a steady tone is the static curve at that level, so
// the point (level, reduction) lies on the curve the console draws.

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "lacquer/dsp/comp_stage.hpp"
#include "lacquer/dsp/deesser_stage.hpp"
#include "lacquer/dsp/multiband_stage.hpp"
#include "signals.hpp"

namespace lacquer::dsp {
namespace {

using test::run_stage;
using test::sine;

constexpr double kFs = 48000.0;
constexpr double kSineRmsDb = -3.0103;  // 20 log10(1 / sqrt 2)

template <typename Stage>
void play(Stage& stage, std::vector<double> x) {
  std::vector<double> r = x;
  run_stage(stage, x, r);
}

CompStage::Params comp_params(Detector detector) {
  CompStage::Params p;
  p.dynamics = {.threshold_db = -30.0, .ratio = 4.0, .knee_db = 6.0, .attack_ms = 10.0,
                .release_ms = 200.0};
  p.detector = detector;
  return p;
}

TEST(DetectorLevel, CompReadsThePeakOrTheRmsOfATone) {
  const double amp = db_to_gain(-12.0);
  for (Detector detector : {Detector::peak, Detector::rms}) {
    CompStage comp;
    comp.prepare(kFs, 256);
    comp.reset(comp_params(detector));
    play(comp, sine(24000, 997.0, amp, kFs));
    const double want = detector == Detector::peak ? -12.0 : -12.0 + kSineRmsDb;
    EXPECT_NEAR(comp.detector_level_db(), want, 0.05) << static_cast<int>(detector);
  }
}

TEST(DetectorLevel, RmsOperatingPointLiesOnTheStaticCurve) {
  CompStage comp;
  comp.prepare(kFs, 256);
  const CompStage::Params p = comp_params(Detector::rms);
  comp.reset(p);
  for (double level_db : {-40.0, -31.0, -20.0, -6.0}) {
    play(comp, sine(48000, 997.0, db_to_gain(level_db), kFs));
    const double level = comp.detector_level_db();
    const double curve = static_gain_reduction_db(level, p.dynamics.threshold_db,
                                                  1.0 - 1.0 / p.dynamics.ratio, p.dynamics.knee_db);
    EXPECT_NEAR(comp.gain_reduction_db(), curve, 0.05) << level_db;
  }
}

TEST(DetectorLevel, HeldLevelFallsAtTheMeterRate) {
  CompStage comp;
  comp.prepare(kFs, 256);
  comp.reset(comp_params(Detector::peak));
  play(comp, sine(24000, 997.0, db_to_gain(-12.0), kFs));
  play(comp, std::vector<double>(24000, 0.0));  // half a second of silence
  const double fallen = 0.5 * Dynamics<simd::f64x2>::kLevelFallDbPerS;
  EXPECT_NEAR(comp.detector_level_db(), -12.0 - fallen, 0.1);
  play(comp, std::vector<double>(240000, 0.0));  // and under -90 dB it is gone
  EXPECT_LT(comp.detector_level_db(), -300.0);
}

TEST(DetectorLevel, MultibandBandsReadTheirOwnBand) {
  MultibandStage mb;
  mb.prepare(kFs, 256);
  MultibandStage::Params p;
  p.detector = Detector::rms;
  p.crossover_hz = {100.0, 500.0, 16000.0};
  for (auto& band : p.band) band.dynamics = {.threshold_db = -40.0, .ratio = 2.0};
  mb.reset(p);
  // 2828 Hz sits in band 3 (500 Hz-16 kHz), 2.5 octaves from both its crossovers: the LR4
  // filters pass it to 0.01 dB there and leave 60 dB less of it in the neighbours.
  play(mb, sine(48000, 2828.0, db_to_gain(-10.0), kFs));
  EXPECT_NEAR(mb.band_detector_level_db(2), -10.0 + kSineRmsDb, 0.05);
  for (int band : {0, 1, 3}) EXPECT_LT(mb.band_detector_level_db(band), -35.0) << band;
}

TEST(DetectorLevel, DeesserReadsTheHighBandsShare) {
  DeesserStage ds;
  ds.prepare(kFs, 256);
  DeesserStage::Params p;
  p.bypass = false;
  ds.reset(p);
  // A 10 kHz tone against the 6 kHz split: the LR4 high band passes x^4 / (1 + x^4) of it,
  // x = 10 / 6 warped by the bilinear transform, and the RMS detector reads that share
  // 3.01 dB under the tone's peak.
  play(ds, sine(48000, 10000.0, db_to_gain(-12.0), kFs));
  const double x = std::tan(std::numbers::pi * 10000.0 / kFs) / std::tan(std::numbers::pi * 6000.0 / kFs);
  const double x4 = std::pow(x, 4.0);
  const double want = -12.0 + 20.0 * std::log10(x4 / (1.0 + x4)) + kSineRmsDb;
  EXPECT_NEAR(ds.detector_level_db(), want, 0.1);
}

}  // namespace
}  // namespace lacquer::dsp
