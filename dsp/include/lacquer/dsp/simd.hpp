#pragma once
// Small fixed-width vectors of doubles (GCC/Clang vector extensions) for the chain's inner
// loops: a stereo frame as one f64x2 (left, right), or four crossover bands as one f64x4.
// They compile to SSE2 on any x86-64 and to AVX/FMA where the build targets x86-64-v3; the
// arithmetic is IEEE double lane by lane, as in scalar code.

#include <bit>
#include <cmath>
#include <cstdint>

#if defined(__FMA__)
#include <immintrin.h>
#endif

namespace lacquer::dsp::simd {

using f64x2 = double __attribute__((vector_size(16)));
using i64x2 = long long __attribute__((vector_size(16)));
using f64x4 = double __attribute__((vector_size(32)));
using i64x4 = long long __attribute__((vector_size(32)));

/// The integer vector of the same lane count; comparisons set all bits of a true lane.
template <typename V>
struct Mask;
template <>
struct Mask<f64x2> {
  using type = i64x2;
};
template <>
struct Mask<f64x4> {
  using type = i64x4;
};
template <typename V>
using mask_t = typename Mask<V>::type;

template <typename V>
inline V splat(double x) noexcept {
  return V{} + x;
}

/// a * b + c lane by lane with one rounding (fused multiply-add). The build never contracts
/// on its own (-ffp-contract=off), so where the chain fuses is written out, and the result is
/// the same on every instruction set: one instruction with FMA, std::fma (exact) without.
template <typename V>
inline V fma(V a, V b, V c) noexcept {
#if defined(__FMA__)
  if constexpr (sizeof(V) == 32) {
    return std::bit_cast<V>(_mm256_fmadd_pd(std::bit_cast<__m256d>(a), std::bit_cast<__m256d>(b),
                                            std::bit_cast<__m256d>(c)));
  } else {
    return std::bit_cast<V>(_mm_fmadd_pd(std::bit_cast<__m128d>(a), std::bit_cast<__m128d>(b),
                                         std::bit_cast<__m128d>(c)));
  }
#else
  V r;
  for (unsigned k = 0; k < sizeof(V) / sizeof(double); ++k) r[k] = std::fma(a[k], b[k], c[k]);
  return r;
#endif
}

/// c - a * b lane by lane with one rounding.
template <typename V>
inline V fnma(V a, V b, V c) noexcept {
  return fma(-a, b, c);
}

/// Lane-wise `mask ? a : b` for a comparison result `mask` (one blend instruction).
template <typename V, typename M>
inline V select(M mask, V a, V b) noexcept {
  return mask ? a : b;
}

template <typename V>
inline V max(V a, V b) noexcept {
  return select<V>(a > b, a, b);
}

template <typename V>
inline V min(V a, V b) noexcept {
  return select<V>(a < b, a, b);
}

/// True when any lane of a comparison result is set.
template <typename M>
inline bool any(M m) noexcept {
  if constexpr (sizeof(M) == 16) {
    return (m[0] | m[1]) != 0;
  } else {
    return (m[0] | m[1] | m[2] | m[3]) != 0;
  }
}

/// Frame i of a planar stereo pair as (left, right), and back.
inline f64x2 load_frame(const double* left, const double* right, std::uint32_t i) noexcept {
  return f64x2{left[i], right[i]};
}
inline void store_frame(f64x2 v, double* left, double* right, std::uint32_t i) noexcept {
  left[i] = v[0];
  right[i] = v[1];
}

/// Lanes 2k and 2k + 1 exchanged: (right, left) of (left, right).
inline f64x2 swap_pairs(f64x2 v) noexcept { return __builtin_shufflevector(v, v, 1, 0); }
inline f64x4 swap_pairs(f64x4 v) noexcept { return __builtin_shufflevector(v, v, 1, 0, 3, 2); }

/// The two halves of an f64x4, and an f64x4 of two halves.
inline f64x2 low_half(f64x4 v) noexcept { return __builtin_shufflevector(v, v, 0, 1); }
inline f64x2 high_half(f64x4 v) noexcept { return __builtin_shufflevector(v, v, 2, 3); }
inline f64x4 join(f64x2 low, f64x2 high) noexcept {
  return __builtin_shufflevector(low, high, 0, 1, 2, 3);
}

}  // namespace lacquer::dsp::simd
