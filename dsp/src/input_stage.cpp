#include "lacquer/dsp/input_stage.hpp"

#include <algorithm>

namespace lacquer::dsp {

void InputStage::prepare(double sample_rate, std::uint32_t max_block) {
  bypass_.prepare(sample_rate, max_block);
  dc_fade_.prepare(sample_rate, max_block);
  const BiquadCoeffs dc = design_first_order_high_pass(sample_rate, kDcBlockHz);
  dc_b0_ = dc.b0;
  dc_a1_ = dc.a1;
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
  dc_x1_ = dc_y1_ = simd::f64x2{};
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
  if (dc_fade_.set_bypass(!p.dc_block)) dc_x1_ = dc_y1_ = simd::f64x2{};
  const auto g = gains(p);
  gain_[0].set_target(g[0]);
  gain_[1].set_target(g[1]);
}

void InputStage::dc_block(double* left, double* right, std::uint32_t n) noexcept {
  // Two frames per step, the second from the output before the first:
  // y[n + 1] = u[n + 1] - a1 u[n] + a1^2 y[n - 1] with u[n] = b0 (x[n] - x[n - 1]), so that
  // the recursion is one multiply-add per two frames instead of two per frame.
  using simd::f64x2;
  using simd::f64x4;
  const double a1 = dc_a1_;
  const f64x4 b0 = simd::splat<f64x4>(dc_b0_);
  const f64x4 a1_second = {0.0, 0.0, a1, a1};
  const f64x4 carried = {-a1, -a1, a1 * a1, a1 * a1};
  f64x2 x1 = dc_x1_;
  f64x2 y1 = dc_y1_;
  std::uint32_t i = 0;
  for (; i + 2 <= n; i += 2) {
    const f64x2 first = simd::load_frame(left, right, i);
    const f64x2 second = simd::load_frame(left, right, i + 1);
    const f64x4 u = b0 * (simd::join(first, second) - simd::join(x1, first));
    const f64x4 v = simd::fnma(a1_second, __builtin_shufflevector(u, u, 0, 1, 0, 1), u);
    const f64x4 y = simd::fma(carried, simd::join(y1, y1), v);
    simd::store_frame(simd::low_half(y), left, right, i);
    simd::store_frame(simd::high_half(y), left, right, i + 1);
    x1 = second;
    y1 = simd::high_half(y);
  }
  if (i < n) {
    const f64x2 x = simd::load_frame(left, right, i);
    y1 = simd::fnma(simd::splat<f64x2>(a1), y1, simd::low_half(b0) * (x - x1));
    x1 = x;
    simd::store_frame(y1, left, right, i);
  }
  dc_x1_ = x1;
  dc_y1_ = y1;
}

void InputStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  if (!dc_fade_.idle()) {
    dc_fade_.capture(left, right, n);
    dc_block(left, right, n);
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
