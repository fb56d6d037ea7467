#pragma once
// /chain/input/*: the input stage's parameters, their schema rows and InputStage::Params.

#include "lacquer/dsp/input_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class InputBinding {
 public:
  using Stage = InputStage;
  static constexpr std::string_view kPrefix = "/chain/input/";
  static constexpr ParamName kTrim{"trim"}, kPolarityLeft{"polarity_left"},
      kPolarityRight{"polarity_right"}, kBalance{"balance"}, kDcBlock{"dc_block"},
      kBypass{"bypass"};

  static void declare(SchemaBuilder& t) {
    constexpr double kGain = InputStage::kGainGlideMs;  // trim, balance and polarity
    t.under(std::string(kPrefix));
    t.db(kTrim, -24.0, 24.0, 0.0, kGain, "Gain before the chain");
    t.boolean(kPolarityLeft, false, kGain, "Invert the polarity of the left channel");
    t.boolean(kPolarityRight, false, kGain, "Invert the polarity of the right channel");
    t.real(kBalance, "%", -100.0, 100.0, 0.0, kGain,
           "Balance: -100 attenuates the right channel fully, +100 the left (constant gain at 0)");
    t.boolean(kDcBlock, false, BypassFade::kFadeMs, "DC-blocking high-pass filter");
    t.bypass(kBypass, BypassFade::kFadeMs);
  }

  explicit InputBinding(const Schema& s)
      : ids_(s, kPrefix),
        trim_(ids_(kTrim)),
        pol_l_(ids_(kPolarityLeft)),
        pol_r_(ids_(kPolarityRight)),
        balance_(ids_(kBalance)),
        dc_block_(ids_(kDcBlock)),
        bypass_(ids_(kBypass)) {}

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
