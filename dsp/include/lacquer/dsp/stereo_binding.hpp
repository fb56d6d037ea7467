#pragma once
// /chain/stereo/*: the stereo stage's parameters, their schema rows and StereoStage::Params.

#include "lacquer/dsp/stage.hpp"
#include "lacquer/dsp/stereo_stage.hpp"

namespace lacquer::dsp {

class StereoBinding {
 public:
  using Stage = StereoStage;
  static constexpr std::string_view kPrefix = "/chain/stereo/";
  static constexpr ParamName kWidth{"width"}, kMonoBelow{"mono_below"}, kBypass{"bypass"};

  static void declare(SchemaBuilder& t) {
    t.under(std::string(kPrefix));
    t.real(kWidth, "%", 0.0, 200.0, 100.0, StereoStage::kGlideMs,
           "Side level relative to mid (0 = mono, 100 = unchanged)");
    // Its frequency glides; switching it on or off (from or to 0) crossfades in
    // BypassFade::kFadeMs.
    t.real(kMonoBelow, "Hz", 0.0, 300.0, 0.0, StereoStage::kGlideMs,
           "Sum to mono below this frequency (0 = off), e.g. for vinyl");
    t.bypass(kBypass, BypassFade::kFadeMs);
  }

  explicit StereoBinding(const Schema& s)
      : ids_(s, kPrefix),
        width_(ids_(kWidth)),
        mono_below_(ids_(kMonoBelow)),
        bypass_(ids_(kBypass)) {}

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
