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
  sidechain_hpf_ = VectorCoeffs<simd::f64x2>::splat(
      design_biquad(BiquadShape::high_pass, sample_rate_, p.sidechain_hpf_hz, kButterworthQ, 0.0));
  if (jump) {
    dynamics_.reset(0, p.dynamics, p.detector, p.link_pct);
    makeup_gain_.reset(db_to_gain(makeup_db));
    mix_.reset(mix);
    sidechain_state_.reset();
  } else {
    dynamics_.set(0, p.dynamics, p.detector, p.link_pct);
    makeup_gain_.set_target(db_to_gain(makeup_db));
    mix_.set_target(mix);
  }
}

void CompStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  // In chunks: the side-chain filter (two frames per step), then the detector and
  // ballistics, each over the whole chunk with its state in registers; then the gains.
  const TwoFrameCoeffs<simd::f64x2> two_frames(sidechain_hpf_);
  for (std::uint32_t offset = 0; offset < n; offset += kChunk) {
    const std::uint32_t m = std::min(kChunk, n - offset);
    double* l = left + offset;
    double* r = right + offset;
    VectorSection<simd::f64x2> hpf = sidechain_state_;
    std::uint32_t i = 0;
    for (; i + 2 <= m; i += 2) {
      hpf.process_two(two_frames, simd::load_frame(l, r, i), simd::load_frame(l, r, i + 1),
                      sidechain_[i], sidechain_[i + 1]);
    }
    if (i < m) sidechain_[i] = hpf.process(sidechain_hpf_, simd::load_frame(l, r, i));
    sidechain_state_ = hpf;
    dynamics_.process_block(sidechain_.data(), reduction_.data(), m);
    i = 0;
    if (!makeup_gain_.ramping() && !mix_.ramping()) {
      // Steady gains: two frames per vector.
      using simd::f64x4;
      const f64x4 makeup = simd::splat<f64x4>(makeup_gain_.current());
      const f64x4 mix = simd::splat<f64x4>(mix_.current());
      const f64x4 one = simd::splat<f64x4>(1.0);
      for (; i + 2 <= m; i += 2) {
        const f64x4 g = makeup * reduction_db_to_gain(simd::join(reduction_[i], reduction_[i + 1]));
        const f64x4 x = simd::join(simd::load_frame(l, r, i), simd::load_frame(l, r, i + 1));
        const f64x4 y = x * simd::fma(mix, g - one, one);
        simd::store_frame(simd::low_half(y), l, r, i);
        simd::store_frame(simd::high_half(y), l, r, i + 1);
      }
    }
    for (; i < m; ++i) {
      const simd::f64x2 x = simd::load_frame(l, r, i);
      const double makeup = makeup_gain_.next();
      const double mix = mix_.next();
      // Parallel compression at zero latency is a blend of gains: dry + mix (wet - dry) =
      // x (1 + mix (g - 1)).
      const simd::f64x2 g = makeup * reduction_db_to_gain(reduction_[i]);
      const simd::f64x2 one = simd::splat<simd::f64x2>(1.0);
      simd::store_frame(x * simd::fma(simd::splat<simd::f64x2>(mix), g - one, one), l, r, i);
    }
  }
  bypass_.mix(left, right, n);
}

}  // namespace lacquer::dsp
