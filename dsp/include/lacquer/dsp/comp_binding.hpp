#pragma once
// /chain/comp/* into CompStage::Params.

#include "lacquer/dsp/comp_stage.hpp"
#include "lacquer/dsp/dynamics_binding.hpp"

namespace lacquer::dsp {

class CompBinding {
 public:
  using Stage = CompStage;

  explicit CompBinding(const Schema& s)
      : ids_(s, "/chain/comp/"),
        dynamics_(ids_, ""),
        detector_(ids_("detector")),
        link_(ids_("link")),
        sidechain_hpf_(ids_("sidechain_hpf")),
        mix_(ids_("mix")),
        auto_makeup_(ids_("auto_makeup")),
        bypass_(ids_("bypass")) {}

  CompStage::Params read(const ParamStore& p) const noexcept {
    return {.bypass = p.flag(bypass_),
            .dynamics = dynamics_.read(p),
            .makeup_db = p.get(dynamics_.makeup),
            .auto_makeup = p.flag(auto_makeup_),
            .detector = static_cast<Detector>(p.index(detector_)),
            .sidechain_hpf_hz = p.get(sidechain_hpf_),
            .mix_pct = p.get(mix_),
            .link_pct = p.get(link_)};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  ParamIdList ids_;
  DynamicsIds dynamics_;
  ParamId detector_, link_, sidechain_hpf_, mix_, auto_makeup_, bypass_;
};

}  // namespace lacquer::dsp
