#pragma once
// /chain/output/* into OutputStage::Params.

#include <algorithm>

#include "lacquer/dsp/output_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class OutputBinding {
 public:
  using Stage = OutputStage;

  explicit OutputBinding(const Schema& s)
      : ids_(s, "/chain/output/"),
        gain_(ids_("gain")),
        bits_(ids_("bits")),
        dither_(ids_("dither")),
        bypass_(ids_("bypass")) {}

  OutputStage::Params read(const ParamStore& p) const noexcept {
    return {.bypass = p.flag(bypass_),
            .gain_db = p.get(gain_),
            .bits = kBits[std::clamp(p.index(bits_), 0, 2)],
            .dither = static_cast<DitherType>(p.index(dither_))};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  // /chain/output/bits choices (off, 16, 24) as word lengths; 0 leaves the signal unreduced.
  static constexpr int kBits[] = {0, 16, 24};

  ParamIdList ids_;
  ParamId gain_, bits_, dither_, bypass_;
};

}  // namespace lacquer::dsp
