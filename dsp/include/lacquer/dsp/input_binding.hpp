#pragma once
// /chain/input/* into InputStage::Params.

#include "lacquer/dsp/input_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class InputBinding {
 public:
  using Stage = InputStage;

  explicit InputBinding(const Schema& s)
      : ids_(s, "/chain/input/"),
        trim_(ids_("trim")),
        pol_l_(ids_("polarity_left")),
        pol_r_(ids_("polarity_right")),
        balance_(ids_("balance")),
        dc_block_(ids_("dc_block")),
        bypass_(ids_("bypass")) {}

  InputStage::Params read(const ParamStore& p) const noexcept {
    return {.bypass = p.flag(bypass_),
            .trim_db = p.get(trim_),
            .invert_left = p.flag(pol_l_),
            .invert_right = p.flag(pol_r_),
            .balance_pct = p.get(balance_),
            .dc_block = p.flag(dc_block_)};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  ParamIdList ids_;
  ParamId trim_, pol_l_, pol_r_, balance_, dc_block_, bypass_;
};

}  // namespace lacquer::dsp
