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
  const BiquadCoeffs ap = design_biquad(BiquadShape::all_pass, sample_rate_, f, kButterworthQ, 0.0);
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

void Crossover::split_block_four_bands(const simd::f64x2* frames, simd::f64x4* bands0,
                                       simd::f64x4* bands1, std::uint32_t n) noexcept {
  using simd::f64x4;
  using simd::f64x8;
  const Coeffs c = live_coeffs();
  State s = state_;
  // Step t runs split 1 on frame t, split 2 and the compensation of bands 1 and 2 on frame
  // t - 1 (both need split 1's output of that frame) and split 3 on frame t - 2 (it needs
  // split 2's). Each section sees its frames in order, with the arithmetic of split_frame().
  f64x4 o1_last{};  // split 1's output of frame t - 1
  f64x4 o2_last{};  // split 2's output of frame t - 2
  const auto both = [](simd::f64x2 x) { return simd::join(x, x); };
  // The first two and last two steps, where some section has no frame, a section at a time.
  const auto step = [&](std::uint32_t t) {
    f64x4 o1{};
    f64x4 o2{};
    if (t < n) {
      o1 = s.pass[0][1].process(c.pass[0], s.pass[0][0].process(c.pass[0], both(frames[t])));
    }
    if (t >= 1 && t - 1 < n) {
      const f64x4 rest = both(simd::high_half(o1_last));
      o2 = s.pass[1][1].process(c.pass[1], s.pass[1][0].process(c.pass[1], rest));
      const f64x4 low = simd::join(simd::low_half(o1_last), simd::low_half(o2));
      bands0[t - 1] =
          s.compensation[1].process(c.all_pass[2], s.compensation[0].process(c.all_pass[1], low));
    }
    if (t >= 2 && t - 2 < n) {
      const f64x4 rest = both(simd::high_half(o2_last));
      bands1[t - 2] = s.pass[2][1].process(c.pass[2], s.pass[2][0].process(c.pass[2], rest));
    }
    o1_last = o1;
    o2_last = o2;
  };
  std::uint32_t t = 0;
  for (; t < std::min<std::uint32_t>(2, n); ++t) step(t);
  if (t < n) {
    // Splits 1 and 2 side by side, then split 3 beside the compensation: low lanes split
    // 1's (3's), high lanes split 2's (the compensation's).
    const VectorCoeffs<f64x8> c12 = join<f64x8>(c.pass[0], c.pass[1]);
    const VectorCoeffs<f64x8> c3a = join<f64x8>(c.pass[2], c.all_pass[1]);
    const VectorCoeffs<f64x8> c3b = join<f64x8>(c.pass[2], c.all_pass[2]);
    auto s12a = VectorSection<f64x8>::join(s.pass[0][0], s.pass[1][0]);
    auto s12b = VectorSection<f64x8>::join(s.pass[0][1], s.pass[1][1]);
    auto s3a = VectorSection<f64x8>::join(s.pass[2][0], s.compensation[0]);
    auto s3b = VectorSection<f64x8>::join(s.pass[2][1], s.compensation[1]);
    f64x8 last = simd::join(o1_last, o2_last);
    for (; t < n; ++t) {
      const f64x8 x = simd::join(both(frames[t]), f64x4{});
      // (frame t twice, split 1's high-pass of frame t - 1 twice)
      const f64x8 in12 = __builtin_shufflevector(x, last, 0, 1, 0, 1, 10, 11, 10, 11);
      const f64x8 o12 = s12b.process(c12, s12a.process(c12, in12));
      // (split 2's high-pass of frame t - 2 twice, the low-passes of frame t - 1 of split 1
      // and of split 2)
      const f64x8 in3 = __builtin_shufflevector(last, o12, 6, 7, 6, 7, 0, 1, 12, 13);
      const f64x8 out = s3b.process(c3b, s3a.process(c3a, in3));
      bands1[t - 2] = simd::low_half(out);
      bands0[t - 1] = simd::high_half(out);
      last = o12;
    }
    s12a.split(s.pass[0][0], s.pass[1][0]);
    s12b.split(s.pass[0][1], s.pass[1][1]);
    s3a.split(s.pass[2][0], s.compensation[0]);
    s3b.split(s.pass[2][1], s.compensation[1]);
    o1_last = simd::low_half(last);
    o2_last = simd::high_half(last);
  }
  for (; t < n + 2; ++t) step(t);
  state_ = s;
}

}  // namespace lacquer::dsp
