#include "lacquer/dsp/crossover.hpp"

#include <algorithm>

namespace lacquer::dsp {

void Crossover::prepare(double sample_rate) noexcept {
  sample_rate_ = sample_rate;
  for (Split& s : splits_) s.glide_.prepare(sample_rate, kGlideMs);
}

std::array<double, Crossover::kMaxSplits> Crossover::sanitise(
    const std::array<double, kMaxSplits>& f) const noexcept {
  std::array<double, kMaxSplits> out;
  double lowest = 10.0;
  for (int k = 0; k < kMaxSplits; ++k) {
    out[k] = std::clamp(f[k], lowest, 0.45 * sample_rate_);
    lowest = out[k];
  }
  return out;
}

void Crossover::reset(int nbands, const std::array<double, kMaxSplits>& freqs_hz) noexcept {
  nbands_ = std::clamp(nbands, 2, kMaxBands);
  target_hz_ = sanitise(freqs_hz);
  for (int k = 0; k < kMaxSplits; ++k) {
    splits_[k].glide_.reset(target_hz_[k], kButterworthQ, 0.0);
    design(k, true);
  }
  state_ = {};
  moving_ = false;
  until_redesign_ = 0;
}

void Crossover::set_freqs(const std::array<double, kMaxSplits>& freqs_hz) noexcept {
  const auto f = sanitise(freqs_hz);
  if (f == target_hz_) return;
  target_hz_ = f;
  for (int k = 0; k < kMaxSplits; ++k) splits_[k].glide_.set_target(f[k], kButterworthQ, 0.0);
  moving_ = true;
  until_redesign_ = 0;
}

void Crossover::design(int k, bool jump) noexcept {
  Split& s = splits_[k];
  const double f = s.glide_.freq_hz();
  VectorCoeffs<simd::f64x4> pass;
  pass.set_lanes(0, 2, design_biquad(BiquadShape::low_pass, sample_rate_, f, kButterworthQ, 0.0));
  pass.set_lanes(2, 2, design_biquad(BiquadShape::high_pass, sample_rate_, f, kButterworthQ, 0.0));
  // Band 1 (lanes 0, 1) lies below every split after the first; band 2 (lanes 2, 3) below
  // every split after the second.
  VectorCoeffs<simd::f64x4> all_pass;
  const BiquadCoeffs ap =
      design_biquad(BiquadShape::all_pass, sample_rate_, f, kButterworthQ, 0.0);
  all_pass.set_lanes(0, 2, ap);
  all_pass.set_lanes(2, 2, k >= 2 ? ap : BiquadCoeffs{});
  if (jump) {
    s.pass_.reset(pass);
    s.all_pass_.reset(all_pass);
  } else {
    s.pass_.set_target(pass, FilterGlide::kBlock);
    s.all_pass_.set_target(all_pass, FilterGlide::kBlock);
  }
}

void Crossover::tick() noexcept {
  if (until_redesign_ == 0) {
    bool changed = false;
    for (int k = 0; k < nbands_ - 1; ++k) {
      if (splits_[k].glide_.advance()) {
        design(k, false);
        changed = true;
      }
    }
    until_redesign_ = FilterGlide::kBlock;
    // A redesign ramps over the next kBlock frames; with none, everything has arrived.
    if (!changed) {
      moving_ = false;
      return;
    }
  }
  --until_redesign_;
  for (int k = 0; k < nbands_ - 1; ++k) {
    splits_[k].pass_.next();
    splits_[k].all_pass_.next();
  }
}

}  // namespace lacquer::dsp
