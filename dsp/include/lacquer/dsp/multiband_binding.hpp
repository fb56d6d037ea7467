#pragma once
// /chain/multiband/*: the multiband stage's parameters, their schema rows and
// MultibandStage::Params.

#include <array>
#include <string>

#include "lacquer/dsp/dynamics_binding.hpp"
#include "lacquer/dsp/multiband_stage.hpp"

namespace lacquer::dsp {

class MultibandBinding {
 public:
  using Stage = MultibandStage;
  static constexpr std::string_view kPrefix = "/chain/multiband/";
  // Under each crossover's "crossover/N/"; under each band's "N/" (with DynamicsIds' names);
  // then the stage's own.
  static constexpr ParamName kFreq{"freq"};
  static constexpr ParamName kBandBypass{"bypass"}, kSolo{"solo"};
  static constexpr ParamName kBands{"bands"}, kDetector{"detector"}, kLink{"link"},
      kMode{"mode"}, kBypass{"bypass"};

  static void declare(SchemaBuilder& t) {
    constexpr std::array<double, kSplits> kCrossoverHz = {120.0, 1000.0, 6000.0};
    for (int x = 0; x < kSplits; ++x) {
      t.under(std::string(kPrefix) + crossover(x));
      t.hz(kFreq, 20.0, 20000.0, kCrossoverHz[static_cast<std::size_t>(x)], Crossover::kGlideMs,
           "Linkwitz-Riley 24 dB/oct crossover between band " + std::to_string(x + 1) + " and " +
               std::to_string(x + 2));
    }
    constexpr double kGain = MultibandStage::kGainGlideMs;  // makeup, band bypass and solo
    for (int b = 0; b < MultibandStage::kBands; ++b) {
      t.under(std::string(kPrefix) + band(b));
      DynamicsIds::declare(t, 150.0, kGain);
      t.boolean(kBandBypass, false, kGain, "Pass the band unprocessed");
      t.boolean(kSolo, false, kGain, "Hear only the soloed bands");
    }
    // A new band count or mode fades the split path out and in again.
    constexpr double kRestructure = 2.0 * BypassFade::kFadeMs;
    t.under(std::string(kPrefix));
    t.integer(kBands, 2.0, 4.0, 4.0, kRestructure, "Number of bands");
    t.choice(kDetector, {"peak", "rms"}, 0, kAtOnce, "Level detector of every band");
    t.real(kLink, "%", 0.0, 100.0, 100.0, kAtOnce,
           "Stereo link of the detectors (100 = one gain for both channels)");
    t.choice(kMode, {"stereo", "mid_side"}, 0, kRestructure, "Process left/right or mid/side");
    t.bypass(kBypass, BypassFade::kFadeMs);
  }

  explicit MultibandBinding(const Schema& s)
      : ids_(s, kPrefix),
        crossover_{ids_(crossover(0), kFreq), ids_(crossover(1), kFreq),
                   ids_(crossover(2), kFreq)},
        bands_{band_ids(0), band_ids(1), band_ids(2), band_ids(3)},
        count_(ids_(kBands)),
        detector_(ids_(kDetector)),
        link_(ids_(kLink)),
        mode_(ids_(kMode)),
        bypass_(ids_(kBypass)) {}

  MultibandStage::Params read(const ParamStore& p) const noexcept {
    MultibandStage::Params m;
    m.bypass = p.flag(bypass_);
    m.bands = p.index(count_);
    for (int x = 0; x < kSplits; ++x) m.crossover_hz[x] = p.get(crossover_[x]);
    for (int b = 0; b < MultibandStage::kBands; ++b) {
      const BandIds& k = bands_[b];
      m.band[b] = {.dynamics = k.dynamics.read(p),
                   .makeup_db = p.get(k.dynamics.makeup),
                   .bypass = p.flag(k.bypass),
                   .solo = p.flag(k.solo)};
    }
    m.link_pct = p.get(link_);
    m.mode = static_cast<MultibandStage::Mode>(p.index(mode_));
    m.detector = static_cast<Detector>(p.index(detector_));
    return m;
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  static constexpr int kSplits = Crossover::kMaxSplits;
  struct BandIds {
    DynamicsIds dynamics;
    ParamId bypass, solo;
  };
  static_assert(MultibandStage::kBands == 4 && kSplits == 3);

  // Paths under the prefix of crossover x and band b (0-based; the paths count from 1).
  static std::string crossover(int x) { return "crossover/" + std::to_string(x + 1) + "/"; }
  static std::string band(int b) { return std::to_string(b + 1) + "/"; }

  BandIds band_ids(int b) {
    const std::string n = band(b);
    return {DynamicsIds(ids_, n), ids_(n, kBandBypass), ids_(n, kSolo)};
  }

  ParamIdList ids_;
  std::array<ParamId, kSplits> crossover_;
  std::array<BandIds, MultibandStage::kBands> bands_;
  ParamId count_, detector_, link_, mode_, bypass_;
};

}  // namespace lacquer::dsp
