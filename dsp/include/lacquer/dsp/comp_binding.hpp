#pragma once
// /chain/comp/*: the comp stage's parameters, their schema rows and CompStage::Params.

#include "lacquer/dsp/comp_stage.hpp"
#include "lacquer/dsp/dynamics_binding.hpp"

namespace lacquer::dsp {

class CompBinding {
 public:
  using Stage = CompStage;
  static constexpr std::string_view kPrefix = "/chain/comp/";
  // After DynamicsIds' names:
  static constexpr ParamName kDetector{"detector"}, kLink{"link"},
      kSidechainHpf{"sidechain_hpf"}, kMix{"mix"}, kAutoMakeup{"auto_makeup"},
      kBypass{"bypass"};

  static void declare(SchemaBuilder& t) {
    constexpr double kGain = CompStage::kGainGlideMs;  // makeup (manual and automatic), mix
    t.under(std::string(kPrefix));
    DynamicsIds::declare(t, 200.0, kGain);
    // The detector, link and side-chain filter shape the detection, not the signal.
    t.choice(kDetector, {"peak", "rms"}, 0, kAtOnce, "Level detector");
    t.real(kLink, "%", 0.0, 100.0, 100.0, kAtOnce,
           "Stereo link of the detectors (100 = one gain for both channels)");
    t.hz(kSidechainHpf, 10.0, 500.0, 10.0, kAtOnce,
         "High-pass corner of the side chain, so bass does not pump the mix");
    t.real(kMix, "%", 0.0, 100.0, 100.0, kGain, "Wet share (parallel compression below 100)");
    t.boolean(kAutoMakeup, false, kGain, "Compensate the static gain loss");
    t.bypass(kBypass, BypassFade::kFadeMs);
  }

  explicit CompBinding(const Schema& s)
      : ids_(s, kPrefix),
        dynamics_(ids_, ""),
        detector_(ids_(kDetector)),
        link_(ids_(kLink)),
        sidechain_hpf_(ids_(kSidechainHpf)),
        mix_(ids_(kMix)),
        auto_makeup_(ids_(kAutoMakeup)),
        bypass_(ids_(kBypass)) {}

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
