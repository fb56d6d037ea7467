#pragma once
// /chain/eq/* into EqStage::Params.

#include <algorithm>
#include <array>
#include <string>

#include "lacquer/dsp/eq_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class EqBinding {
 public:
  using Stage = EqStage;

  explicit EqBinding(const Schema& s) : ids_(s, "/chain/eq/"), bypass_(ids_("bypass")) {
    for (int b = 0; b < EqStage::kBands; ++b) {
      const std::string n = std::to_string(b + 1) + "/";
      bands_[b] = {ids_(n + "enabled"), ids_(n + "type"), ids_(n + "mode"), ids_(n + "freq"),
                   ids_(n + "gain"),    ids_(n + "q"),    ids_(n + "slope")};
    }
  }

  EqStage::Params read(const ParamStore& p) const noexcept {
    EqStage::Params e;
    e.bypass = p.flag(bypass_);
    for (int b = 0; b < EqStage::kBands; ++b) {
      const BandIds& k = bands_[b];
      e.bands[b] = {.enabled = p.flag(k.enabled),
                    .type = static_cast<EqType>(p.index(k.type)),
                    .mode = static_cast<ChannelMode>(p.index(k.mode)),
                    .freq_hz = p.get(k.freq),
                    .gain_db = p.get(k.gain),
                    .q = p.get(k.q),
                    .slope_db_oct = kSlopes[std::clamp(p.index(k.slope), 0, 3)]};
    }
    return e;
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  // /chain/eq/N/slope choices, in order.
  static constexpr int kSlopes[] = {12, 24, 36, 48};
  struct BandIds {
    ParamId enabled, type, mode, freq, gain, q, slope;
  };

  ParamIdList ids_;
  ParamId bypass_;
  std::array<BandIds, EqStage::kBands> bands_{};
};

}  // namespace lacquer::dsp
