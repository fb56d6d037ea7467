#pragma once
// The compressor settings under one path (threshold, ratio, knee, attack, release, makeup),
// read by the comp's and the multiband's bindings.

#include <string>

#include "lacquer/dsp/dynamics.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

struct DynamicsIds {
  /// Resolves `under` + "threshold" and its siblings through `ids`.
  DynamicsIds(ParamIdList& ids, const std::string& under)
      : threshold(ids(under + "threshold")),
        ratio(ids(under + "ratio")),
        attack(ids(under + "attack")),
        release(ids(under + "release")),
        knee(ids(under + "knee")),
        makeup(ids(under + "makeup")) {}

  DynamicsSettings read(const ParamStore& p) const noexcept {
    return {.threshold_db = p.get(threshold),
            .ratio = p.get(ratio),
            .knee_db = p.get(knee),
            .attack_ms = p.get(attack),
            .release_ms = p.get(release)};
  }

  ParamId threshold, ratio, attack, release, knee, makeup;
};

}  // namespace lacquer::dsp
