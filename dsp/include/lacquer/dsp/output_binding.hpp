#pragma once
// /chain/output/*: the output stage's parameters, their schema rows and OutputStage::Params.

#include <algorithm>

#include "lacquer/dsp/output_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class OutputBinding {
 public:
  using Stage = OutputStage;
  static constexpr std::string_view kPrefix = "/chain/output/";
  static constexpr ParamName kGain{"gain"}, kBits{"bits"}, kDither{"dither"},
      kBypass{"bypass"};

  static void declare(SchemaBuilder& t) {
    t.under(std::string(kPrefix));
    t.db(kGain, -24.0, 12.0, 0.0, OutputStage::kSmoothingMs,
         "Gain at the end of the chain, before word-length reduction");
    // Word length and dither apply from the next sample.
    t.choice(kBits, {"off", "16", "24"}, 0, kAtOnce, "Word length of the print");
    t.choice(kDither, {"off", "tpdf", "lipshitz", "fweighted", "shibata"}, 1, kAtOnce,
             "Dither at word-length reduction: plain TPDF, or TPDF with noise shaping");
    t.bypass(kBypass, OutputStage::kSmoothingMs);
  }

  explicit OutputBinding(const Schema& s)
      : ids_(s, kPrefix),
        gain_(ids_(kGain)),
        bits_(ids_(kBits)),
        dither_(ids_(kDither)),
        bypass_(ids_(kBypass)) {}

  OutputStage::Params read(const ParamStore& p) const noexcept {
    return {.bypass = p.flag(bypass_),
            .gain_db = p.get(gain_),
            .bits = kBitsOf[std::clamp(p.index(bits_), 0, 2)],
            .dither = static_cast<DitherType>(p.index(dither_))};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  // /chain/output/bits choices (off, 16, 24) as word lengths; 0 leaves the signal unreduced.
  static constexpr int kBitsOf[] = {0, 16, 24};

  ParamIdList ids_;
  ParamId gain_, bits_, dither_, bypass_;
};

}  // namespace lacquer::dsp
