#pragma once
// Second-order sections (transposed direct form II, as BiquadState) run on every lane of a
// vector at once, each lane with its own coefficients: the two channels of a stereo filter in
// an f64x2, or the low-pass and high-pass of a crossover split for both channels in an f64x4.

#include <cstdint>
#include <type_traits>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/simd.hpp"

namespace lacquer::dsp {

/// Lane-wise coefficients of H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2).
template <typename V>
struct VectorCoeffs {
  V b0{};
  V b1{};
  V b2{};
  V a1{};
  V a2{};

  /// Every lane filters with `c`.
  static VectorCoeffs splat(const BiquadCoeffs& c) noexcept {
    VectorCoeffs v;
    v.set_lanes(0, static_cast<int>(sizeof(V) / sizeof(double)), c);
    return v;
  }
  /// Lanes [first, first + count) filter with `c`.
  void set_lanes(int first, int count, const BiquadCoeffs& c) noexcept {
    for (int k = first; k < first + count; ++k) {
      b0[k] = c.b0;
      b1[k] = c.b1;
      b2[k] = c.b2;
      a1[k] = c.a1;
      a2[k] = c.a2;
    }
  }
};

/// Coefficients of two sections of half the width side by side (low lanes `low`).
template <typename V, typename H>
VectorCoeffs<V> join(const VectorCoeffs<H>& low, const VectorCoeffs<H>& high) noexcept
  requires(sizeof(V) == 2 * sizeof(H))
{
  return {simd::join(low.b0, high.b0), simd::join(low.b1, high.b1), simd::join(low.b2, high.b2),
          simd::join(low.a1, high.a1), simd::join(low.a2, high.a2)};
}

/// The coefficients a section needs to run two frames per step (VectorSection::process_two).
/// From the state (s1, s2) before frames x0, x1:
///   y0  = s1 + b0 x0
///   y1  = s2 - a1 s1 + b0 x1 + d x0                  d = b1 - a1 b0
///   s1' = (a1^2 - a2) s1 - a1 s2 + d x1 + e x0       e = b2 - a1 d - a2 b0
///   s2' = a1 a2 s1 - a2 s2 + f x1 - a2 d x0          f = b2 - a2 b0
/// the same filter as two process() calls, to rounding.
template <typename V>
struct TwoFrameCoeffs {
  explicit TwoFrameCoeffs(const VectorCoeffs<V>& c) noexcept
      : b0(c.b0),
        a1(c.a1),
        a2(c.a2),
        d(c.b1 - c.a1 * c.b0),
        e(c.b2 - c.a1 * d - c.a2 * c.b0),
        f(c.b2 - c.a2 * c.b0),
        a2d(c.a2 * d),
        s1_from_s1(c.a1 * c.a1 - c.a2),
        s2_from_s1(c.a1 * c.a2) {}
  V b0, a1, a2, d, e, f, a2d, s1_from_s1, s2_from_s1;
};

/// Filter state of one section on every lane.
template <typename V>
class VectorSection {
 public:
  // Fused: the recursion through y and s1 is two multiply-adds long.
  V process(const VectorCoeffs<V>& c, V x) noexcept {
    const V y = simd::fma(c.b0, x, s1_);
    s1_ = simd::fnma(c.a1, y, simd::fma(c.b1, x, s2_));
    s2_ = simd::fnma(c.a2, y, c.b2 * x);
    return y;
  }
  /// Frames x0 then x1 (TwoFrameCoeffs): the state after both comes straight from the state
  /// before, so that the recursion is two multiply-adds deep per two frames instead of four.
  void process_two(const TwoFrameCoeffs<V>& c, V x0, V x1, V& y0, V& y1) noexcept {
    y0 = simd::fma(c.b0, x0, s1_);
    y1 = simd::fnma(c.a1, s1_, s2_ + simd::fma(c.b0, x1, c.d * x0));
    const V s1 = simd::fma(c.s1_from_s1, s1_, simd::fnma(c.a1, s2_, simd::fma(c.d, x1, c.e * x0)));
    s2_ = simd::fma(c.s2_from_s1, s1_, simd::fnma(c.a2, s2_, simd::fnma(c.a2d, x0, c.f * x1)));
    s1_ = s1;
  }
  void reset() noexcept { s1_ = s2_ = V{}; }
  /// Carries the state over to the input f(x) for a linear map f across the lanes (e.g.
  /// left/right to mid/side), for a filter that is the same on every lane: the state is a
  /// linear function of the signal.
  template <typename F>
  void map_state(F f) noexcept {
    s1_ = f(s1_);
    s2_ = f(s2_);
  }
  /// The states of two sections of half the width side by side (low lanes `low`), and back:
  /// a pair of sections run as one vector.
  template <typename H>
  static VectorSection join(const VectorSection<H>& low, const VectorSection<H>& high) noexcept
    requires(sizeof(V) == 2 * sizeof(H))
  {
    VectorSection s;
    s.s1_ = simd::join(low.s1_, high.s1_);
    s.s2_ = simd::join(low.s2_, high.s2_);
    return s;
  }
  template <typename H>
  void split(VectorSection<H>& low, VectorSection<H>& high) const noexcept
    requires(sizeof(V) == 2 * sizeof(H))
  {
    low.s1_ = simd::low_half(s1_);
    low.s2_ = simd::low_half(s2_);
    high.s1_ = simd::high_half(s1_);
    high.s2_ = simd::high_half(s2_);
  }

 private:
  template <typename>
  friend class VectorSection;
  V s1_{};
  V s2_{};
};

/// Lane-wise coefficients moving linearly, sample by sample, to a new set (as BiquadRamp:
/// every set on the way is stable when both ends are).
template <typename V>
class VectorCoeffsRamp {
 public:
  /// Jumps to `c` with no ramp.
  void reset(const VectorCoeffs<V>& c) noexcept {
    current_ = target_ = c;
    remaining_ = 0;
  }
  /// Starts a ramp from the current coefficients to `c`, reached after `nsamples` calls of
  /// next().
  void set_target(const VectorCoeffs<V>& c, std::uint32_t nsamples) noexcept {
    target_ = c;
    remaining_ = nsamples;
    const double inv = 1.0 / static_cast<double>(nsamples);
    step_.b0 = (c.b0 - current_.b0) * inv;
    step_.b1 = (c.b1 - current_.b1) * inv;
    step_.b2 = (c.b2 - current_.b2) * inv;
    step_.a1 = (c.a1 - current_.a1) * inv;
    step_.a2 = (c.a2 - current_.a2) * inv;
  }
  /// Moves to the coefficients of the next sample.
  void next() noexcept {
    if (remaining_ == 0) return;
    if (--remaining_ == 0) {
      current_ = target_;
      return;
    }
    current_.b0 += step_.b0;
    current_.b1 += step_.b1;
    current_.b2 += step_.b2;
    current_.a1 += step_.a1;
    current_.a2 += step_.a2;
  }
  const VectorCoeffs<V>& current() const noexcept { return current_; }
  bool ramping() const noexcept { return remaining_ != 0; }

 private:
  VectorCoeffs<V> current_;
  VectorCoeffs<V> target_;
  VectorCoeffs<V> step_;
  std::uint32_t remaining_ = 0;
};

}  // namespace lacquer::dsp
