#include "lacquer/dsp/multiband_stage.hpp"

#include <algorithm>
#include <cmath>

namespace lacquer::dsp {

void MultibandStage::prepare(double sample_rate, std::uint32_t max_block) {
  bypass_.prepare(sample_rate, max_block);
  split_fade_.prepare(sample_rate, max_block);
  crossover_.prepare(sample_rate);
  for (BandState& b : bands_) {
    b.dynamics_.prepare(sample_rate);
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
    BandState& b = bands_[k];
    const double makeup = db_to_gain(want.makeup_db);
    const double active = want.bypass ? 0.0 : 1.0;
    const double audible = !any_solo || want.solo ? 1.0 : 0.0;
    if (jump) {
      b.dynamics_.reset(want.dynamics, params_.detector, params_.link_pct);
      b.makeup_.reset(makeup);
      b.active_.reset(active);
      b.audible_.reset(audible);
    } else {
      b.dynamics_.set(want.dynamics, params_.detector, params_.link_pct);
      b.makeup_.set_target(makeup);
      b.active_.set_target(active);
      b.audible_.set_target(audible);
    }
  }
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
    process_split(left, right, n);
    split_fade_.mix(left, right, n);
    if (restructuring_ && split_fade_.idle()) {
      restructuring_ = false;
      apply_structure();
      engage(!neutral(params_));
    }
  }
  bypass_.mix(left, right, n);
}

void MultibandStage::process_split(double* left, double* right, std::uint32_t n) noexcept {
  const bool mid_side = live_mode_ == Mode::mid_side;
  const int nbands = live_bands_;
  for (std::uint32_t i = 0; i < n; ++i) {
    double a = left[i];
    double b = right[i];
    if (mid_side) {
      a = 0.5 * (left[i] + right[i]);
      b = 0.5 * (left[i] - right[i]);
    }
    double band_a[kBands];
    double band_b[kBands];
    crossover_.tick();
    crossover_.split(0, a, band_a);
    crossover_.split(1, b, band_b);
    double out_a = 0.0;
    double out_b = 0.0;
    for (int k = 0; k < nbands; ++k) {
      BandState& bs = bands_[k];
      double gr_a = 0.0;
      double gr_b = 0.0;
      bs.dynamics_.process(band_a[k], band_b[k], gr_a, gr_b);
      const double makeup = bs.makeup_.next();
      const double active = bs.active_.next();
      const double audible = bs.audible_.next();
      const double g_a = makeup * reduction_db_to_gain(gr_a);
      const double g_b = makeup * reduction_db_to_gain(gr_b);
      out_a += audible * (1.0 + active * (g_a - 1.0)) * band_a[k];
      out_b += audible * (1.0 + active * (g_b - 1.0)) * band_b[k];
    }
    if (mid_side) {
      left[i] = out_a + out_b;
      right[i] = out_a - out_b;
    } else {
      left[i] = out_a;
      right[i] = out_b;
    }
  }
}

double MultibandStage::gain_reduction_db() const noexcept {
  double gr = 0.0;
  for (int k = 0; k < live_bands_; ++k) {
    if (params_.band[k].bypass) continue;
    gr = std::max(gr, bands_[k].dynamics_.gain_reduction_db());
  }
  return gr;
}

}  // namespace lacquer::dsp
