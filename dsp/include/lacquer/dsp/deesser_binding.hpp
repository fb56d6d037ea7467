#pragma once
// /chain/deesser/*: the de-esser's parameters, their schema rows and DeesserStage::Params.

#include "lacquer/dsp/deesser_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class DeesserBinding {
 public:
  using Stage = DeesserStage;
  static constexpr std::string_view kPrefix = "/chain/deesser/";
  static constexpr ParamName kFreq{"freq"}, kThreshold{"threshold"}, kRatio{"ratio"},
      kRange{"range"}, kAttack{"attack"}, kRelease{"release"}, kBypass{"bypass"};

  static void declare(SchemaBuilder& t) {
    constexpr double kCurve = Dynamics<simd::f64x2>::kCurveGlideMs;  // threshold and ratio
    t.under(std::string(kPrefix));
    t.hz(kFreq, 2000.0, 12000.0, 6000.0, Crossover::kGlideMs,
         "Split frequency: the band above it is detected and reduced");
    t.db(kThreshold, -60.0, 0.0, -30.0, kCurve,
         "RMS level of the high band where reduction starts");
    t.real(kRatio, "ratio", 1.0, 20.0, 4.0, kCurve,
           "Compression ratio of the high band above the threshold");
    t.real(kRange, "dB", 0.0, 24.0, 12.0, kAtOnce, "Most reduction of the high band");
    t.ms(kAttack, 0.1, 50.0, 1.0, "Attack time constant");
    t.ms(kRelease, 5.0, 500.0, 60.0, "Release time constant");
    t.boolean(kBypass, true, BypassFade::kFadeMs,
              "Pass the stage unprocessed (bypassed until used)");
  }

  explicit DeesserBinding(const Schema& s)
      : ids_(s, kPrefix),
        freq_(ids_(kFreq)),
        threshold_(ids_(kThreshold)),
        ratio_(ids_(kRatio)),
        range_(ids_(kRange)),
        attack_(ids_(kAttack)),
        release_(ids_(kRelease)),
        bypass_(ids_(kBypass)) {}

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
