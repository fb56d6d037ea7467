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
  const auto f = sanitise(freqs_hz);
  for (int k = 0; k < kMaxSplits; ++k) {
    splits_[k].glide_.reset(f[k], kButterworthQ, 0.0);
    design(k, true);
  }
  state_ = {};
  until_redesign_ = 0;
}

void Crossover::set_freqs(const std::array<double, kMaxSplits>& freqs_hz) noexcept {
  const auto f = sanitise(freqs_hz);
  for (int k = 0; k < kMaxSplits; ++k) splits_[k].glide_.set_target(f[k], kButterworthQ, 0.0);
}

void Crossover::design(int k, bool jump) noexcept {
  Split& s = splits_[k];
  const double f = s.glide_.freq_hz();
  const BiquadCoeffs lp = design_biquad(BiquadShape::low_pass, sample_rate_, f, kButterworthQ, 0.0);
  const BiquadCoeffs hp = design_biquad(BiquadShape::high_pass, sample_rate_, f, kButterworthQ, 0.0);
  const BiquadCoeffs ap = design_biquad(BiquadShape::all_pass, sample_rate_, f, kButterworthQ, 0.0);
  if (jump) {
    s.low_pass_.reset(lp);
    s.high_pass_.reset(hp);
    s.all_pass_.reset(ap);
  } else {
    s.low_pass_.set_target(lp, FilterGlide::kBlock);
    s.high_pass_.set_target(hp, FilterGlide::kBlock);
    s.all_pass_.set_target(ap, FilterGlide::kBlock);
  }
}

void Crossover::tick() noexcept {
  if (until_redesign_ == 0) {
    for (int k = 0; k < nbands_ - 1; ++k) {
      if (splits_[k].glide_.advance()) design(k, false);
    }
    until_redesign_ = FilterGlide::kBlock;
  }
  --until_redesign_;
  for (int k = 0; k < nbands_ - 1; ++k) {
    splits_[k].low_pass_.next();
    splits_[k].high_pass_.next();
    splits_[k].all_pass_.next();
  }
}

void Crossover::split(int ch, double x, double* bands) noexcept {
  ChannelState& st = state_[ch];
  const int nsplits = nbands_ - 1;
  double rest = x;
  for (int k = 0; k < nsplits; ++k) {
    const BiquadCoeffs& lp = splits_[k].low_pass_.current();
    const BiquadCoeffs& hp = splits_[k].high_pass_.current();
    bands[k] = st.low_[k][1].process(lp, st.low_[k][0].process(lp, rest));
    rest = st.high_[k][1].process(hp, st.high_[k][0].process(hp, rest));
  }
  bands[nsplits] = rest;
  for (int band = 0; band < nsplits - 1; ++band) {
    for (int k = band + 1; k < nsplits; ++k) {
      bands[band] = st.all_pass_[band][k].process(splits_[k].all_pass_.current(), bands[band]);
    }
  }
}

}  // namespace lacquer::dsp
