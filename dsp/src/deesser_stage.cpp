#include "lacquer/dsp/deesser_stage.hpp"

#include <algorithm>

namespace lacquer::dsp {

namespace {

constexpr DynamicsSettings settings(const DeesserStage::Params& p) noexcept {
  return {.threshold_db = p.threshold_db,
          .ratio = p.ratio,
          .knee_db = 0.0,
          .attack_ms = p.attack_ms,
          .release_ms = p.release_ms};
}

std::array<double, Crossover::kMaxSplits> split_at(double freq_hz) noexcept {
  return {freq_hz, freq_hz, freq_hz};  // only the first is used with two bands
}

}  // namespace

void DeesserStage::prepare(double sample_rate, std::uint32_t max_block) {
  bypass_.prepare(sample_rate, max_block);
  split_.prepare(sample_rate);
  dynamics_.prepare(sample_rate);
  reset(Params{});
}

void DeesserStage::reset(const Params& p) noexcept {
  params_ = p;
  bypass_.reset(p.bypass);
  follow_params(true);
}

void DeesserStage::set_params(const Params& p) noexcept {
  if (p == params_) return;
  // Resuming from a full bypass: the split and detector state is stale, start clean.
  const bool resume = bypass_.set_bypass(p.bypass);
  params_ = p;
  follow_params(resume);
}

void DeesserStage::follow_params(bool jump) noexcept {
  range_db_ = simd::splat<simd::f64x2>(std::max(params_.range_db, 0.0));
  const DynamicsSettings curve = settings(params_);
  if (!jump) {
    split_.set_freqs(split_at(params_.freq_hz));
    dynamics_.set(0, curve, Detector::rms, 100.0);
    return;
  }
  split_.reset(2, split_at(params_.freq_hz));
  dynamics_.reset(0, curve, Detector::rms, 100.0);
}

double DeesserStage::gain_reduction_db() const noexcept {
  return std::min(dynamics_.gain_reduction_db(0), static_cast<double>(range_db_[0]));
}

void DeesserStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  for (std::uint32_t offset = 0; offset < n; offset += kChunk) {
    const std::uint32_t m = std::min(kChunk, n - offset);
    double* l = left + offset;
    double* r = right + offset;
    for (std::uint32_t i = 0; i < m; ++i) frames_[i] = simd::load_frame(l, r, i);
    split_.split_block<1>(frames_.data(), bands_.data(), unused_.data(), m);
    for (std::uint32_t i = 0; i < m; ++i) high_[i] = simd::high_half(bands_[i]);
    dynamics_.process_block(high_.data(), reduction_.data(), m);
    for (std::uint32_t i = 0; i < m; ++i) {
      const simd::f64x2 g = reduction_db_to_gain(simd::min(reduction_[i], range_db_));
      simd::store_frame(simd::fma(g, high_[i], simd::low_half(bands_[i])), l, r, i);
    }
  }
  bypass_.mix(left, right, n);
}

}  // namespace lacquer::dsp
