#include "lacquer/dsp/output_stage.hpp"

namespace lacquer::dsp {

void OutputStage::prepare(double sample_rate, std::uint32_t /*max_block*/) {
  gain_.prepare(sample_rate, kSmoothingMs);
  wet_mix_.prepare(sample_rate, kSmoothingMs);
  dither_.prepare(sample_rate);
  reset(params_);
}

void OutputStage::reset(const Params& p) noexcept {
  params_ = p;
  gain_.reset(db_to_gain(p.gain_db));
  wet_mix_.reset(p.bypass ? 0.0 : 1.0);
  dither_.set(p.dither, p.bits > 0 ? p.bits : 24);
  dither_.reset();
}

void OutputStage::set_params(const Params& p) noexcept {
  if (p.gain_db != params_.gain_db) gain_.set_target(db_to_gain(p.gain_db));
  if (p.bypass != params_.bypass) wet_mix_.set_target(p.bypass ? 0.0 : 1.0);
  if (p.bits != params_.bits || p.dither != params_.dither) {
    dither_.set(p.dither, p.bits > 0 ? p.bits : 24);
  }
  params_ = p;
}

bool OutputStage::shaping_fallback() const noexcept {
  const bool shaped_type = params_.dither == DitherType::kLipshitz ||
                           params_.dither == DitherType::kFWeighted ||
                           params_.dither == DitherType::kShibata;
  return shaped_type && !dither_.shaping_active();
}

void OutputStage::process(double* left, double* right, std::uint32_t n) noexcept {
  // Fully bypassed: the output is the input, bit for bit.
  if (!wet_mix_.ramping() && wet_mix_.current() == 0.0) return;

  const bool quantise = params_.bits > 0;
  if (!wet_mix_.ramping()) {
    if (gain_.ramping() || gain_.current() != 1.0) {
      for (std::uint32_t i = 0; i < n; ++i) {
        const double g = gain_.next();
        left[i] *= g;
        right[i] *= g;
      }
    }
    if (quantise) dither_.process(left, right, n);
    return;
  }

  // Bypass crossfade: the stage keeps no block buffer, so each sample is processed and
  // mixed with its own dry value.
  for (std::uint32_t i = 0; i < n; ++i) {
    const double g = gain_.next();
    double l = left[i] * g;
    double r = right[i] * g;
    if (quantise) dither_.process(&l, &r, 1);
    const double w = wet_mix_.next();
    left[i] += w * (l - left[i]);
    right[i] += w * (r - right[i]);
  }
}

}  // namespace lacquer::dsp
