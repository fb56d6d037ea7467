#pragma once
// /chain/deesser/* into DeesserStage::Params.

#include "lacquer/dsp/deesser_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class DeesserBinding {
 public:
  using Stage = DeesserStage;

  explicit DeesserBinding(const Schema& s)
      : ids_(s, "/chain/deesser/"),
        freq_(ids_("freq")),
        threshold_(ids_("threshold")),
        ratio_(ids_("ratio")),
        range_(ids_("range")),
        attack_(ids_("attack")),
        release_(ids_("release")),
        bypass_(ids_("bypass")) {}

  DeesserStage::Params read(const ParamStore& p) const noexcept {
    return {.bypass = p.flag(bypass_),
            .freq_hz = p.get(freq_),
            .threshold_db = p.get(threshold_),
            .ratio = p.get(ratio_),
            .range_db = p.get(range_),
            .attack_ms = p.get(attack_),
            .release_ms = p.get(release_)};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  ParamIdList ids_;
  ParamId freq_, threshold_, ratio_, range_, attack_, release_, bypass_;
};

}  // namespace lacquer::dsp
