#pragma once
// The compressor settings under one path (threshold, ratio, attack, release, knee, makeup),
// declared and read by the comp's and the multiband's bindings.

#include <string>

#include "lacquer/dsp/dynamics.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

struct DynamicsIds {
  static constexpr ParamName kThreshold{"threshold"}, kRatio{"ratio"}, kAttack{"attack"},
      kRelease{"release"}, kKnee{"knee"}, kMakeup{"makeup"};

  /// The rows of the static curve and time constants, under the builder's current path.
  /// Defaults (threshold 0 dBFS, ratio 1) leave the signal untouched.
  static void declare(SchemaBuilder& t, double release_ms, double makeup_glide_ms) {
    // Threshold, ratio and knee glide together (Dynamics::set).
    constexpr double kCurve = Dynamics<simd::f64x2>::kCurveGlideMs;
    t.db(kThreshold, -60.0, 0.0, 0.0, kCurve, "Level above which the signal is compressed");
    t.real(kRatio, "ratio", 1.0, 20.0, 1.0, kCurve, "Compression ratio (1 = none)",
           Taper::logarithmic);
    t.ms(kAttack, 0.1, 300.0, 10.0, "Attack time constant");
    t.ms(kRelease, 5.0, 3000.0, release_ms, "Release time constant");
    t.real(kKnee, "dB", 0.0, 24.0, 6.0, kCurve, "Soft-knee width");
    t.db(kMakeup, -12.0, 24.0, 0.0, makeup_glide_ms, "Gain after compression");
  }

  /// Resolves the rows under `under` (below the list's prefix) through `ids`.
  DynamicsIds(ParamIdList& ids, const std::string& under)
      : threshold(ids(under, kThreshold)),
        ratio(ids(under, kRatio)),
        attack(ids(under, kAttack)),
        release(ids(under, kRelease)),
        knee(ids(under, kKnee)),
        makeup(ids(under, kMakeup)) {}

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
