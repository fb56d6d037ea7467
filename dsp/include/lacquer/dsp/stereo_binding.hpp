#pragma once
// /chain/stereo/* into StereoStage::Params.

#include "lacquer/dsp/stage.hpp"
#include "lacquer/dsp/stereo_stage.hpp"

namespace lacquer::dsp {

class StereoBinding {
 public:
  using Stage = StereoStage;

  explicit StereoBinding(const Schema& s)
      : ids_(s, "/chain/stereo/"),
        width_(ids_("width")),
        mono_below_(ids_("mono_below")),
        bypass_(ids_("bypass")) {}

  StereoStage::Params read(const ParamStore& p) const noexcept {
    return {.bypass = p.flag(bypass_),
            .width_pct = p.get(width_),
            .mono_below_hz = p.get(mono_below_)};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  ParamIdList ids_;
  ParamId width_, mono_below_, bypass_;
};

}  // namespace lacquer::dsp
