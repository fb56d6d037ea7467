#include "lacquer/dsp/stereo_stage.hpp"

#include <algorithm>
#include <cstring>

#include "lacquer/dsp/simd.hpp"

namespace lacquer::dsp {

namespace {

double mono_freq(double hz, double sample_rate) noexcept {
  return std::clamp(hz, StereoStage::kMinMonoHz, 0.45 * sample_rate);
}

}  // namespace

void StereoStage::prepare(double sample_rate, std::uint32_t max_block) {
  sample_rate_ = sample_rate;
  bypass_.prepare(sample_rate, max_block);
  mono_fade_.prepare(sample_rate, max_block);
  mono_glide_.prepare(sample_rate, kGlideMs);
  width_.prepare(sample_rate, kGlideMs);
  reset(Params{});
}

void StereoStage::reset(const Params& p) noexcept {
  params_ = p;
  bypass_.reset(p.bypass);
  mono_fade_.reset(p.mono_below_hz <= 0.0);
  start_mono();
  width_.reset(std::clamp(p.width_pct, 0.0, 200.0) * 0.01);
}

void StereoStage::start_mono() noexcept {
  mono_glide_.reset(mono_freq(params_.mono_below_hz, sample_rate_), kButterworthQ, 0.0);
  design(true);
  side_state_[0].reset();
  side_state_[1].reset();
  mid_state_.reset();
  until_redesign_ = 0;
}

void StereoStage::set_params(const Params& p) noexcept {
  if (p == params_) return;
  params_ = p;
  if (bypass_.set_bypass(p.bypass)) {
    reset(p);
    return;
  }
  width_.set_target(std::clamp(p.width_pct, 0.0, 200.0) * 0.01);
  const bool mono = p.mono_below_hz > 0.0;
  if (mono) mono_glide_.set_target(mono_freq(p.mono_below_hz, sample_rate_), kButterworthQ, 0.0);
  if (mono_fade_.set_bypass(!mono)) start_mono();
}

void StereoStage::design(bool jump) noexcept {
  const double f = mono_glide_.freq_hz();
  const BiquadCoeffs hp = design_biquad(BiquadShape::high_pass, sample_rate_, f, kButterworthQ, 0.0);
  const BiquadCoeffs ap = design_biquad(BiquadShape::all_pass, sample_rate_, f, kButterworthQ, 0.0);
  if (jump) {
    high_pass_.reset(hp);
    all_pass_.reset(ap);
  } else {
    high_pass_.set_target(hp, FilterGlide::kBlock);
    all_pass_.set_target(ap, FilterGlide::kBlock);
  }
}

void StereoStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  if (!mono_fade_.idle()) {
    mono_fade_.capture(left, right, n);
    process_mono(left, right, n);
    mono_fade_.mix(left, right, n);
  }
  // L = M + wS, R = M - wS written as a change of the input, exact at w = 1.
  if (width_.ramping()) {
    for (std::uint32_t i = 0; i < n; ++i) {
      const double extra = (width_.next() - 1.0) * 0.5 * (left[i] - right[i]);
      left[i] += extra;
      right[i] -= extra;
    }
  } else if (const double k = (width_.current() - 1.0) * 0.5; k != 0.0) {
    // Four frames per step.
    std::uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
      simd::f64x4 l, r;
      std::memcpy(&l, left + i, sizeof(l));
      std::memcpy(&r, right + i, sizeof(r));
      const simd::f64x4 extra = k * (l - r);
      l += extra;
      r -= extra;
      std::memcpy(left + i, &l, sizeof(l));
      std::memcpy(right + i, &r, sizeof(r));
    }
    for (; i < n; ++i) {
      const double extra = k * (left[i] - right[i]);
      left[i] += extra;
      right[i] -= extra;
    }
  }
  bypass_.mix(left, right, n);
}

void StereoStage::process_mono(double* left, double* right, std::uint32_t n) noexcept {
  for (std::uint32_t i = 0; i < n; ++i) {
    if (until_redesign_ == 0) {
      if (mono_glide_.advance()) design(false);
      until_redesign_ = FilterGlide::kBlock;
    }
    --until_redesign_;
    const BiquadCoeffs& hp = high_pass_.next();
    const BiquadCoeffs& ap = all_pass_.next();
    const double mid = mid_state_.process(ap, 0.5 * (left[i] + right[i]));
    const double side =
        side_state_[1].process(hp, side_state_[0].process(hp, 0.5 * (left[i] - right[i])));
    left[i] = mid + side;
    right[i] = mid - side;
  }
}

}  // namespace lacquer::dsp
