#include "lacquer/dsp/input_stage.hpp"

#include <algorithm>

namespace lacquer::dsp {

void InputStage::prepare(double sample_rate, std::uint32_t max_block) {
  bypass_.prepare(sample_rate, max_block);
  dc_fade_.prepare(sample_rate, max_block);
  dc_block_ =
      VectorCoeffs<simd::f64x2>::splat(design_first_order_high_pass(sample_rate, kDcBlockHz));
  for (LinearSmoother& g : gain_) g.prepare(sample_rate, kGainGlideMs);
  reset(Params{});
}

std::array<double, 2> InputStage::gains(const Params& p) noexcept {
  const double trim = db_to_gain(p.trim_db);
  const double balance = std::clamp(p.balance_pct, -100.0, 100.0) * 0.01;
  const double left = trim * std::min(1.0, 1.0 - balance) * (p.invert_left ? -1.0 : 1.0);
  const double right = trim * std::min(1.0, 1.0 + balance) * (p.invert_right ? -1.0 : 1.0);
  return {left, right};
}

void InputStage::reset(const Params& p) noexcept {
  params_ = p;
  bypass_.reset(p.bypass);
  dc_fade_.reset(!p.dc_block);
  dc_state_.reset();
  const auto g = gains(p);
  gain_[0].reset(g[0]);
  gain_[1].reset(g[1]);
}

void InputStage::set_params(const Params& p) noexcept {
  if (p == params_) return;
  params_ = p;
  if (bypass_.set_bypass(p.bypass)) {
    reset(p);
    return;
  }
  if (dc_fade_.set_bypass(!p.dc_block)) dc_state_.reset();
  const auto g = gains(p);
  gain_[0].set_target(g[0]);
  gain_[1].set_target(g[1]);
}

void InputStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  if (!dc_fade_.idle()) {
    dc_fade_.capture(left, right, n);
    VectorSection<simd::f64x2> state = dc_state_;
    for (std::uint32_t i = 0; i < n; ++i) {
      simd::store_frame(state.process(dc_block_, simd::load_frame(left, right, i)), left, right, i);
    }
    dc_state_ = state;
    dc_fade_.mix(left, right, n);
  }
  double* channel[2] = {left, right};
  for (int c = 0; c < 2; ++c) {
    LinearSmoother& g = gain_[c];
    if (g.ramping()) {
      for (std::uint32_t i = 0; i < n; ++i) channel[c][i] *= g.next();
    } else if (const double k = g.current(); k != 1.0) {
      for (std::uint32_t i = 0; i < n; ++i) channel[c][i] *= k;
    }
  }
  bypass_.mix(left, right, n);
}

}  // namespace lacquer::dsp
