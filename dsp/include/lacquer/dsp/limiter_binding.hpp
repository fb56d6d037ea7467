#pragma once
// /chain/limiter/* into LimiterStage::Params.

#include "lacquer/dsp/limiter_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class LimiterBinding {
 public:
  using Stage = LimiterStage;

  explicit LimiterBinding(const Schema& s)
      : ids_(s, "/chain/limiter/"),
        drive_(ids_("drive")),
        ceiling_(ids_("ceiling")),
        release_(ids_("release")),
        lookahead_(ids_("lookahead")),
        hold_(ids_("hold")),
        bypass_(ids_("bypass")) {}

  LimiterStage::Params read(const ParamStore& p) const noexcept {
    return {.bypass = p.flag(bypass_),
            .drive_db = p.get(drive_),
            .ceiling_db = p.get(ceiling_),
            .release_ms = p.get(release_),
            .lookahead_ms = p.get(lookahead_),
            .hold_ms = p.get(hold_)};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  ParamIdList ids_;
  ParamId drive_, ceiling_, release_, lookahead_, hold_, bypass_;
};

}  // namespace lacquer::dsp
