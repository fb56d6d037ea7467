#pragma once
// Small fixed-width vectors (GCC/Clang vector extensions) for the chain's inner loops: a
// stereo frame as one f64x2 (left, right), or four crossover bands as one f64x4.
// They compile to SSE2 on any x86-64 and to AVX/FMA where the build targets x86-64-v3; the
// arithmetic is IEEE double (or, for f32x8, float) lane by lane, as in scalar code.

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>

#if defined(__FMA__)
#include <immintrin.h>
#endif

namespace lacquer::dsp::simd {

using f64x2 = double __attribute__((vector_size(16)));
using i64x2 = long long __attribute__((vector_size(16)));
using f64x4 = double __attribute__((vector_size(32)));
using i64x4 = long long __attribute__((vector_size(32)));
// One AVX-512 register (two AVX registers on x86-64-v3): where a loop has eight independent
// lanes of work, half the instructions of f64x4.
using f64x8 = double __attribute__((vector_size(64)));
using i64x8 = long long __attribute__((vector_size(64)));
// Single precision, for side chains (levels and gains in dB) where a float's 1e-7 is far
// below what a detector or meter resolves: eight lanes per AVX register instead of four.
using f32x4 = float __attribute__((vector_size(16)));
using f32x8 = float __attribute__((vector_size(32)));
using i32x8 = int __attribute__((vector_size(32)));
using f32x16 = float __attribute__((vector_size(64)));
using i32x16 = int __attribute__((vector_size(64)));

/// True where the build has 512-bit registers (x86-64-v4). Without them the compiler splits
/// an f64x8 or f32x16 into halves, but not every operation on them well: code that pairs two
/// vectors of 256 bits into one keeps them apart there.
#if defined(__AVX512F__)
inline constexpr bool kWideRegisters = true;
#else
inline constexpr bool kWideRegisters = false;
#endif

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
template <>
struct Mask<f64x8> {
  using type = i64x8;
};
template <>
struct Mask<f32x8> {
  using type = i32x8;
};
template <>
struct Mask<f32x16> {
  using type = i32x16;
};
template <typename V>
using mask_t = typename Mask<V>::type;

/// The lane type of V (double or float).
template <typename V>
using lane_t = std::remove_cvref_t<decltype(V{}[0])>;

/// Lanes in V.
template <typename V>
inline constexpr int kLanes = static_cast<int>(sizeof(V) / sizeof(lane_t<V>));

/// The two halves of an f64x4 or f64x8, and a vector of two halves.
inline f64x2 low_half(f64x4 v) noexcept { return __builtin_shufflevector(v, v, 0, 1); }
inline f64x2 high_half(f64x4 v) noexcept { return __builtin_shufflevector(v, v, 2, 3); }
inline f64x4 join(f64x2 low, f64x2 high) noexcept {
  return __builtin_shufflevector(low, high, 0, 1, 2, 3);
}
inline f64x4 low_half(f64x8 v) noexcept { return __builtin_shufflevector(v, v, 0, 1, 2, 3); }
inline f64x4 high_half(f64x8 v) noexcept { return __builtin_shufflevector(v, v, 4, 5, 6, 7); }
inline f64x8 join(f64x4 low, f64x4 high) noexcept {
  return __builtin_shufflevector(low, high, 0, 1, 2, 3, 4, 5, 6, 7);
}
inline f32x8 low_half(f32x16 v) noexcept {
  return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
}
inline f32x8 high_half(f32x16 v) noexcept {
  return __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
}
inline f32x16 join(f32x8 low, f32x8 high) noexcept {
  return __builtin_shufflevector(low, high, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

template <typename V>
inline V splat(double x) noexcept {
  return V{} + static_cast<lane_t<V>>(x);
}

/// a * b + c lane by lane with one rounding (fused multiply-add). The build never contracts
/// on its own (-ffp-contract=off), so where the chain fuses is written out, and the result is
/// the same on every instruction set: one instruction with FMA, std::fma (exact) without.
template <typename V>
inline V fma(V a, V b, V c) noexcept {
#if defined(__FMA__)
  if constexpr (std::is_same_v<V, f32x8>) {
    return std::bit_cast<V>(_mm256_fmadd_ps(std::bit_cast<__m256>(a), std::bit_cast<__m256>(b),
                                            std::bit_cast<__m256>(c)));
  } else if constexpr (std::is_same_v<V, f32x16>) {
#if defined(__AVX512F__)
    return std::bit_cast<V>(_mm512_fmadd_ps(std::bit_cast<__m512>(a), std::bit_cast<__m512>(b),
                                            std::bit_cast<__m512>(c)));
#else
    return join(fma(low_half(a), low_half(b), low_half(c)),
                fma(high_half(a), high_half(b), high_half(c)));
#endif
  } else if constexpr (sizeof(V) == 64) {
#if defined(__AVX512F__)
    return std::bit_cast<V>(_mm512_fmadd_pd(std::bit_cast<__m512d>(a), std::bit_cast<__m512d>(b),
                                            std::bit_cast<__m512d>(c)));
#else
    return join(fma(low_half(a), low_half(b), low_half(c)),
                fma(high_half(a), high_half(b), high_half(c)));
#endif
  } else if constexpr (sizeof(V) == 32) {
    return std::bit_cast<V>(_mm256_fmadd_pd(std::bit_cast<__m256d>(a), std::bit_cast<__m256d>(b),
                                            std::bit_cast<__m256d>(c)));
  } else {
    return std::bit_cast<V>(_mm_fmadd_pd(std::bit_cast<__m128d>(a), std::bit_cast<__m128d>(b),
                                         std::bit_cast<__m128d>(c)));
  }
#else
  V r;
  for (int k = 0; k < kLanes<V>; ++k) r[k] = std::fma(a[k], b[k], c[k]);
  return r;
#endif
}

/// c - a * b lane by lane with one rounding.
template <typename V>
inline V fnma(V a, V b, V c) noexcept {
#if defined(__FMA__)
  if constexpr (std::is_same_v<V, f32x8>) {
    return std::bit_cast<V>(_mm256_fnmadd_ps(std::bit_cast<__m256>(a), std::bit_cast<__m256>(b),
                                             std::bit_cast<__m256>(c)));
  } else if constexpr (std::is_same_v<V, f32x16>) {
#if defined(__AVX512F__)
    return std::bit_cast<V>(_mm512_fnmadd_ps(std::bit_cast<__m512>(a), std::bit_cast<__m512>(b),
                                             std::bit_cast<__m512>(c)));
#else
    return join(fnma(low_half(a), low_half(b), low_half(c)),
                fnma(high_half(a), high_half(b), high_half(c)));
#endif
  } else if constexpr (sizeof(V) == 64) {
#if defined(__AVX512F__)
    return std::bit_cast<V>(_mm512_fnmadd_pd(std::bit_cast<__m512d>(a),
                                             std::bit_cast<__m512d>(b),
                                             std::bit_cast<__m512d>(c)));
#else
    return join(fnma(low_half(a), low_half(b), low_half(c)),
                fnma(high_half(a), high_half(b), high_half(c)));
#endif
  } else if constexpr (sizeof(V) == 32) {
    return std::bit_cast<V>(_mm256_fnmadd_pd(std::bit_cast<__m256d>(a),
                                             std::bit_cast<__m256d>(b),
                                             std::bit_cast<__m256d>(c)));
  } else {
    return std::bit_cast<V>(_mm_fnmadd_pd(std::bit_cast<__m128d>(a), std::bit_cast<__m128d>(b),
                                          std::bit_cast<__m128d>(c)));
  }
#else
  return fma(-a, b, c);
#endif
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
  if constexpr (sizeof(M) == 64) {
#if defined(__AVX512F__)
    const auto q = std::bit_cast<__m512i>(m);
    return _mm512_test_epi64_mask(q, q) != 0;
#else
    const i64x8 q = std::bit_cast<i64x8>(m);
    return any(i64x4{q[0] | q[4], q[1] | q[5], q[2] | q[6], q[3] | q[7]});
#endif
  } else {
#if defined(__AVX__)
    // One test of all bits, whatever the lane width.
    if constexpr (sizeof(M) == 16) {
      const auto q = std::bit_cast<__m128i>(m);
      return _mm_testz_si128(q, q) == 0;
    } else {
      const auto q = std::bit_cast<__m256i>(m);
      return _mm256_testz_si256(q, q) == 0;
    }
#endif
    if constexpr (sizeof(M) == 16) {
      const i64x2 q = std::bit_cast<i64x2>(m);
      return (q[0] | q[1]) != 0;
    } else {
      const i64x4 q = std::bit_cast<i64x4>(m);
      return (q[0] | q[1] | q[2] | q[3]) != 0;
    }
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
inline f32x8 swap_pairs(f32x8 v) noexcept {
  return __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6);
}
inline f32x16 swap_pairs(f32x16 v) noexcept {
  return __builtin_shufflevector(v, v, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
}

/// Two f64x4 in single precision as one f32x8 (a in the low lanes), and back.
inline f32x8 to_f32x8(f64x4 a, f64x4 b) noexcept {
  const f32x4 lo = __builtin_convertvector(a, f32x4);
  const f32x4 hi = __builtin_convertvector(b, f32x4);
  return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7);
}
inline f64x4 low_f64x4(f32x8 v) noexcept {
  return __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3), f64x4);
}
inline f64x4 high_f64x4(f32x8 v) noexcept {
  return __builtin_convertvector(__builtin_shufflevector(v, v, 4, 5, 6, 7), f64x4);
}


}  // namespace lacquer::dsp::simd
