#include "lacquer/dsp/comp_stage.hpp"

#include <algorithm>
#include <cmath>

namespace lacquer::dsp {

void CompStage::prepare(double sample_rate, std::uint32_t max_block) {
  sample_rate_ = sample_rate;
  bypass_.prepare(sample_rate, max_block);
  dynamics_.prepare(sample_rate);
  makeup_gain_.prepare(sample_rate, kGainGlideMs);
  mix_.prepare(sample_rate, kGainGlideMs);
  reset(Params{});
}

void CompStage::reset(const Params& p) noexcept {
  params_ = p;
  bypass_.reset(p.bypass);
  apply(p, true);
}

void CompStage::set_params(const Params& p) noexcept {
  if (p == params_) return;
  params_ = p;
  apply(p, bypass_.set_bypass(p.bypass));
}

void CompStage::apply(const Params& p, bool jump) noexcept {
  double makeup_db = p.makeup_db;
  if (p.auto_makeup) {
    const double ratio = std::clamp(p.dynamics.ratio, 1.0, 100.0);
    makeup_db += static_gain_reduction_db(kAutoMakeupLevelDb, p.dynamics.threshold_db,
                                          1.0 - 1.0 / ratio, std::max(p.dynamics.knee_db, 0.0));
  }
  const double mix = std::clamp(p.mix_pct, 0.0, 100.0) * 0.01;
  sidechain_hpf_ = design_biquad(BiquadShape::high_pass, sample_rate_, p.sidechain_hpf_hz,
                                 kButterworthQ, 0.0);
  if (jump) {
    dynamics_.reset(p.dynamics, p.detector, p.link_pct);
    makeup_gain_.reset(db_to_gain(makeup_db));
    mix_.reset(mix);
    sidechain_state_[0].reset();
    sidechain_state_[1].reset();
  } else {
    dynamics_.set(p.dynamics, p.detector, p.link_pct);
    makeup_gain_.set_target(db_to_gain(makeup_db));
    mix_.set_target(mix);
  }
}

void CompStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const double sc_l = sidechain_state_[0].process(sidechain_hpf_, left[i]);
    const double sc_r = sidechain_state_[1].process(sidechain_hpf_, right[i]);
    double gr_l = 0.0;
    double gr_r = 0.0;
    dynamics_.process(sc_l, sc_r, gr_l, gr_r);
    const double makeup = makeup_gain_.next();
    const double mix = mix_.next();
    // Parallel compression at zero latency is a blend of gains: dry + mix (wet - dry) =
    // x (1 + mix (g - 1)).
    const double g_l = makeup * reduction_db_to_gain(gr_l);
    const double g_r = makeup * reduction_db_to_gain(gr_r);
    left[i] *= 1.0 + mix * (g_l - 1.0);
    right[i] *= 1.0 + mix * (g_r - 1.0);
  }
  bypass_.mix(left, right, n);
}

}  // namespace lacquer::dsp
