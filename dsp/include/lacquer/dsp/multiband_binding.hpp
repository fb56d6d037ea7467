#pragma once
// /chain/multiband/* into MultibandStage::Params.

#include <array>
#include <string>

#include "lacquer/dsp/dynamics_binding.hpp"
#include "lacquer/dsp/multiband_stage.hpp"

namespace lacquer::dsp {

class MultibandBinding {
 public:
  using Stage = MultibandStage;

  explicit MultibandBinding(const Schema& s)
      : ids_(s, "/chain/multiband/"),
        crossover_{ids_("crossover/1/freq"), ids_("crossover/2/freq"), ids_("crossover/3/freq")},
        bands_{band(1), band(2), band(3), band(4)},
        count_(ids_("bands")),
        detector_(ids_("detector")),
        link_(ids_("link")),
        mode_(ids_("mode")),
        bypass_(ids_("bypass")) {}

  MultibandStage::Params read(const ParamStore& p) const noexcept {
    MultibandStage::Params m;
    m.bypass = p.flag(bypass_);
    m.bands = p.index(count_);
    for (int x = 0; x < 3; ++x) m.crossover_hz[x] = p.get(crossover_[x]);
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
  struct BandIds {
    DynamicsIds dynamics;
    ParamId bypass, solo;
  };
  static_assert(MultibandStage::kBands == 4);

  BandIds band(int number) {
    const std::string n = std::to_string(number) + "/";
    return {DynamicsIds(ids_, n), ids_(n + "bypass"), ids_(n + "solo")};
  }

  ParamIdList ids_;
  std::array<ParamId, 3> crossover_;
  std::array<BandIds, MultibandStage::kBands> bands_;
  ParamId count_, detector_, link_, mode_, bypass_;
};

}  // namespace lacquer::dsp
