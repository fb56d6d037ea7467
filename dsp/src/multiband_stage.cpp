#include "lacquer/dsp/multiband_stage.hpp"

#include <algorithm>
#include <cmath>

namespace lacquer::dsp {

void MultibandStage::prepare(double sample_rate, std::uint32_t max_block) {
  bypass_.prepare(sample_rate, max_block);
  split_fade_.prepare(sample_rate, max_block);
  crossover_.prepare(sample_rate);
  dynamics_.prepare(sample_rate);
  for (BandGains& b : gains_) {
    b.makeup_.prepare(sample_rate, kGainGlideMs);
    b.active_.prepare(sample_rate, kGainGlideMs);
    b.audible_.prepare(sample_rate, kGainGlideMs);
  }
  reset(Params{});
}

bool MultibandStage::neutral(const Params& p) noexcept {
  for (int k = 0; k < std::clamp(p.bands, 2, kBands); ++k) {
    const Band& b = p.band[k];
    if (b.solo) return false;
    if (!b.bypass && (b.dynamics.ratio > 1.0 || b.makeup_db != 0.0)) return false;
  }
  return true;
}

void MultibandStage::reset(const Params& p) noexcept {
  params_ = p;
  bypass_.reset(p.bypass);
  split_fade_.reset(neutral(p));
  apply_structure();
}

void MultibandStage::apply_structure() noexcept {
  live_bands_ = std::clamp(params_.bands, 2, kBands);
  live_mode_ = params_.mode;
  restructuring_ = false;
  crossover_.reset(live_bands_, params_.crossover_hz);
  apply_bands(true);
}

void MultibandStage::apply_bands(bool jump) noexcept {
  bool any_solo = false;
  for (int k = 0; k < live_bands_; ++k) any_solo = any_solo || params_.band[k].solo;
  for (int k = 0; k < kBands; ++k) {
    const Band& want = params_.band[k];
    BandGains& b = gains_[k];
    const double makeup = db_to_gain(want.makeup_db);
    const double active = want.bypass ? 0.0 : 1.0;
    const double audible = !any_solo || want.solo ? 1.0 : 0.0;
    if (jump) {
      dynamics_.reset(k, want.dynamics, params_.detector, params_.link_pct);
      b.makeup_.reset(makeup);
      b.active_.reset(active);
      b.audible_.reset(audible);
    } else {
      dynamics_.set(k, want.dynamics, params_.detector, params_.link_pct);
      b.makeup_.set_target(makeup);
      b.active_.set_target(active);
      b.audible_.set_target(audible);
    }
  }
  // A reset gain does not move, so next_weights() then only loads the weights.
  weights_moving_ = true;
  if (jump) next_weights();
}

void MultibandStage::next_weights() noexcept {
  bool moving = false;
  for (int k = 0; k < kBands; ++k) {
    BandGains& b = gains_[k];
    const double makeup = b.makeup_.next();
    const double active = b.active_.next();
    const double audible = b.audible_.next();
    moving = moving || b.makeup_.ramping() || b.active_.ramping() || b.audible_.ramping();
    for (const int lane : {2 * (k % 2), 2 * (k % 2) + 1}) {
      dry_weight_[k / 2][lane] = audible * (1.0 - active);
      wet_weight_[k / 2][lane] = audible * active * makeup;
    }
  }
  weights_moving_ = moving;
}

void MultibandStage::engage(bool on) noexcept {
  // Leaving the dry state: the crossover and detectors are stale and start afresh.
  if (split_fade_.set_bypass(!on)) apply_structure();
}

void MultibandStage::set_params(const Params& p) noexcept {
  if (p == params_) return;
  params_ = p;
  if (bypass_.set_bypass(p.bypass) || split_fade_.idle()) {
    // Nothing audible runs through the split path: take everything at once.
    apply_structure();
    engage(!neutral(p));
    return;
  }
  if (std::clamp(p.bands, 2, kBands) != live_bands_ || p.mode != live_mode_) {
    restructuring_ = true;
    split_fade_.set_bypass(true);
  } else if (!restructuring_) {
    engage(!neutral(p));
  }
  crossover_.set_freqs(p.crossover_hz);
  apply_bands(false);
}

void MultibandStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  if (!split_fade_.idle()) {
    split_fade_.capture(left, right, n);
    switch (live_bands_) {
      case 2: process_split<1>(left, right, n); break;
      case 3: process_split<2>(left, right, n); break;
      default: process_split<3>(left, right, n); break;
    }
    split_fade_.mix(left, right, n);
    if (restructuring_ && split_fade_.idle()) {
      restructuring_ = false;
      apply_structure();
      engage(!neutral(params_));
    }
  }
  bypass_.mix(left, right, n);
}

template <int kSplits>
void MultibandStage::process_split(double* left, double* right, std::uint32_t n) noexcept {
  constexpr int kPairs = kSplits >= 2 ? 2 : 1;
  const bool mid_side = live_mode_ == Mode::mid_side;
  // In chunks, each pass (crossover splits, compressors, sum) over the whole chunk.
  for (std::uint32_t offset = 0; offset < n; offset += kChunk) {
    const std::uint32_t m = std::min(kChunk, n - offset);
    double* l = left + offset;
    double* r = right + offset;
    for (std::uint32_t i = 0; i < m; ++i) {
      simd::f64x2 x = simd::load_frame(l, r, i);
      if (mid_side) x = 0.5 * simd::f64x2{x[0] + x[1], x[0] - x[1]};
      frames_[i] = x;
    }
    crossover_.split_block<kSplits>(frames_.data(), bands_[0].data(), bands_[1].data(), m);
    for (std::uint32_t i = 0; i < m; ++i) sidechain_[i] = simd::to_f32x8(bands_[0][i], bands_[1][i]);
    dynamics_.process_block(sidechain_.data(), reduction_.data(), m);
    // Each frame's bands weighted and summed lane-wise (into bands_[0]), then the lanes of
    // two frames at a time added into (left, right) pairs.
    const auto weigh = [&](std::uint32_t i, const std::array<simd::f64x4, 2>& dry,
                           const std::array<simd::f64x4, 2>& wet) noexcept {
      const simd::f32x8 g = reduction_db_to_gain(reduction_[i]);
      const simd::f64x4 gains[2] = {simd::low_f64x4(g), simd::high_f64x4(g)};
      simd::f64x4 sum{};
      for (int p = 0; p < kPairs; ++p) {
        sum = simd::fma(simd::fma(wet[p], gains[p], dry[p]), bands_[p][i], sum);
      }
      bands_[0][i] = sum;
    };
    if (weights_moving_) {
      for (std::uint32_t i = 0; i < m; ++i) {
        if (weights_moving_) next_weights();
        weigh(i, dry_weight_, wet_weight_);
      }
    } else {
      // Still weights in locals: the stores to bands_ would make the members reload.
      const std::array<simd::f64x4, 2> dry = dry_weight_;
      const std::array<simd::f64x4, 2> wet = wet_weight_;
      for (std::uint32_t i = 0; i < m; ++i) weigh(i, dry, wet);
    }
    if (m % 2 != 0) bands_[0][m] = simd::f64x4{};
    const simd::f64x4 plus_minus = {1.0, -1.0, 1.0, -1.0};
    for (std::uint32_t i = 0; i < m; i += 2) {
      const simd::f64x4 a = bands_[0][i];
      const simd::f64x4 b = bands_[0][i + 1];
      // (left, right) of frames i and i + 1.
      simd::f64x4 y = __builtin_shufflevector(a, b, 0, 1, 4, 5) + __builtin_shufflevector(a, b, 2, 3, 6, 7);
      if (mid_side) y = y * plus_minus + simd::swap_pairs(y);  // (m + s, m - s)
      l[i] = y[0];
      r[i] = y[1];
      if (i + 1 < m) {
        l[i + 1] = y[2];
        r[i + 1] = y[3];
      }
    }
  }
}

double MultibandStage::gain_reduction_db() const noexcept {
  double gr = 0.0;
  for (int k = 0; k < live_bands_; ++k) {
    if (params_.band[k].bypass) continue;
    gr = std::max(gr, band_gain_reduction_db(k));
  }
  return gr;
}

}  // namespace lacquer::dsp
