#pragma once
// The compressor core shared by the comp and multiband stages: a level detector (peak or RMS),
// the soft-knee static curve of Giannoulis, Massberg & Reiss ("Digital Dynamic Range
// Compressor Design — A Tutorial and Analysis", JAES 2012) in dB, stereo linking, and smooth
// branching attack/release ballistics applied to the gain reduction in dB.
//
// It runs on vectors: one stereo compressor per f64x2 (left, right), four per f32x8 (the
// multiband's bands), so that the per-sample logarithm and exponential of every channel and
// band are computed together instead of one library call each. The side chain in single
// precision works to 1e-5 dB, a thousandth of what a gain-reduction meter shows.

#include <array>
#include <bit>
#include <cstdint>
#include <type_traits>

#include "lacquer/dsp/simd.hpp"
#include "lacquer/dsp/smoother.hpp"

namespace lacquer::dsp {

/// 10 log10(power) lane by lane for finite powers >= 0 (0 and denormals give below
/// -300 dB). Doubles: within 1e-8 dB of the exact value for normal powers; floats: within
/// 1e-5 dB plus 1e-7 of the value (the float's own resolution). The mantissa is brought
/// into [1/sqrt 2, sqrt 2) and its log taken by the series 2 atanh(t) = ln m with
/// t = (m - 1) / (m + 1), |t| < 0.172, to t^9 (doubles) or t^7 (floats; the first omitted
/// terms are below 1e-9 and 1e-6).
template <typename V>
inline V power_to_db(V power) noexcept {
  using I = simd::mask_t<V>;
  const auto c = [](double x) { return simd::splat<V>(x); };
  constexpr double kDbPerLn = 4.3429448190325182765;      // 10 / ln 10
  constexpr double kDbPerOctave = 3.0102999566398119521;  // 10 log10(2)
  const I bits = std::bit_cast<I>(power);
  V exponent;
  V m;
  if constexpr (std::is_same_v<simd::lane_t<V>, float>) {
    I biased_exponent = (bits >> 23) & 0xff;
    m = std::bit_cast<V>((bits & 0x007fffff) | 0x3f800000);
    const I big = m > 1.41421356f;
    m = simd::select<V>(big, m * 0.5f, m);
    biased_exponent -= big;  // a set lane is -1
    exponent = __builtin_convertvector(biased_exponent - 127, V);
  } else {
    constexpr double kTwoPow52 = 4503599627370496.0;
    I biased_exponent = (bits >> 52) & 0x7ff;
    m = std::bit_cast<V>((bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);
    const I big = std::bit_cast<I>(m > 1.4142135623730950488);
    m = simd::select<V>(big, m * 0.5, m);
    biased_exponent -= big;
    // 2^52 + e has the integer e in its mantissa: the exponent as a double without a
    // conversion instruction (x86 has none for 64-bit lanes below AVX-512).
    exponent = std::bit_cast<V>(biased_exponent | 0x4330000000000000LL) - (kTwoPow52 + 1023.0);
  }
  const V t = (m - c(1.0)) / (m + c(1.0));
  const V t2 = t * t;
  V series;
  if constexpr (std::is_same_v<simd::lane_t<V>, float>) {
    series = simd::fma(t2, simd::fma(t2, simd::fma(t2, c(1.0 / 7.0), c(1.0 / 5.0)), c(1.0 / 3.0)),
                       c(1.0));
  } else {
    series = simd::fma(
        t2, simd::fma(t2, simd::fma(t2, simd::fma(t2, c(1.0 / 9.0), c(1.0 / 7.0)), c(1.0 / 5.0)),
                      c(1.0 / 3.0)),
        c(1.0));
  }
  return simd::fma(c(kDbPerOctave), exponent, c(2.0 * kDbPerLn) * t * series);
}

/// The linear gain 10^(-reduction_db / 20) of gain reductions >= 0 dB, lane by lane, and
/// exactly 1 for 0 dB: 2^-x split into 2^-n and 2^f with |f| <= 1/2, the latter by its
/// Taylor series. Doubles: within a relative 1e-11 (1e-10 dB), degree 10, reductions beyond
/// 6000 dB giving the gain of 6000 dB (1e-300); floats: within a relative 3e-7 plus 1e-8 per
/// dB of reduction (the float's resolution of the reduction), degree 7, capped at 700 dB.
template <typename V>
inline V reduction_db_to_gain(V reduction_db) noexcept {
  using I = simd::mask_t<V>;
  const auto c = [](double x) { return simd::splat<V>(x); };
  constexpr double kOctavesPerDb = 0.16609640474436811739;  // log2(10) / 20
  constexpr double kLn2 = 0.69314718055994530942;
  constexpr bool kFloat = std::is_same_v<simd::lane_t<V>, float>;
  // Adding 1.5 * 2^52 (2^23 for floats) rounds to an integer held in the low mantissa bits.
  const V round = c(kFloat ? 12582912.0 : 6755399441055744.0);
  const V x = simd::min<V>(reduction_db, c(kFloat ? 700.0 : 6000.0)) * c(-kOctavesPerDb);
  const V rounded = x + round;
  const V n = rounded - round;
  const I n_int = std::bit_cast<I>(rounded) - std::bit_cast<I>(round);
  const V f = (x - n) * c(kLn2);
  // Estrin's scheme: the same polynomial as Horner's rule with a shorter dependency chain.
  const V f2 = f * f;
  const V f4 = f2 * f2;
  const V q01 = simd::fma(simd::fma(f, c(1.0 / 6.0), c(0.5)), f2, c(1.0) + f);
  const V q23 = simd::fma(simd::fma(f, c(1.0 / 5040.0), c(1.0 / 720.0)), f2,
                          simd::fma(f, c(1.0 / 120.0), c(1.0 / 24.0)));
  if constexpr (kFloat) {
    return simd::fma(q23, f4, q01) * std::bit_cast<V>((n_int + 127) << 23);
  } else {
    const V q45 =
        simd::fma(c(1.0 / 3628800.0), f2, simd::fma(f, c(1.0 / 362880.0), c(1.0 / 40320.0)));
    const V p = simd::fma(simd::fma(q45, f4, q23), f4, q01);
    return p * std::bit_cast<V>((n_int + 1023) << 52);
  }
}

/// Static gain reduction in dB (>= 0) for input levels `level_db`, lane by lane, with
/// `slope` = 1 - 1/ratio and `half_inv_knee` = 1 / (2W): 0 below the knee,
/// slope * (x - T + W/2)^2 / (2W) inside it, slope * (x - T) above it.
template <typename V>
inline V static_gain_reduction_db(V level_db, V threshold_db, V slope, V knee_db,
                                  V half_inv_knee) noexcept {
  const auto c = [](double x) { return simd::splat<V>(x); };
  const V over = level_db - threshold_db;
  const V t = simd::fma(c(0.5), knee_db, over);
  const V in_knee = slope * t * t * half_inv_knee;
  const V twice_over = c(2.0) * over;
  const V above = simd::select<V>(twice_over < knee_db, in_knee, slope * over);
  return simd::select<V>(twice_over <= -knee_db, V{}, above);
}

/// The same curve for one level (auto makeup, tests).
double static_gain_reduction_db(double level_db, double threshold_db, double slope,
                                double knee_db) noexcept;

/// Level detector; the names are the values of /chain/comp/detector.
enum class Detector { peak, rms };

/// The compressor settings common to both stages.
struct DynamicsSettings {
  double threshold_db = 0.0;  ///< expected -60..0 dBFS
  double ratio = 1.0;         ///< expected 1..20; 1 = no compression
  double knee_db = 6.0;       ///< expected 0..24: full width of the soft knee
  double attack_ms = 10.0;    ///< expected 0.1..300: time constant (63 % of a GR increase)
  double release_ms = 150.0;  ///< expected 5..3000: time constant (63 % of a GR decrease)
  bool operator==(const DynamicsSettings&) const = default;
};

/// Detector, static curve and ballistics of the stereo compressors in the lanes of V: lanes
/// 2k and 2k + 1 are the two channels of compressor k, linked to each other. Per frame it
/// turns the side-chain samples into a gain reduction in dB per lane.
template <typename V>
class Dynamics {
 public:
  /// Stereo compressors per vector.
  static constexpr int kPairs = simd::kLanes<V> / 2;
  /// Averaging time constant of the RMS detector.
  static constexpr double kRmsWindowMs = 10.0;
  /// Glide of threshold, ratio and knee (so that moving them cannot step the gain).
  static constexpr double kCurveGlideMs = 20.0;
  /// Fall of the held detector level that meters read (detector_level_db).
  static constexpr double kLevelFallDbPerS = 20.0;

  void prepare(double sample_rate) noexcept;
  /// Jumps compressor `pair` to the settings and clears its detector and gain state.
  void reset(int pair, const DynamicsSettings& s, Detector detector, double link_pct) noexcept;
  /// Glides threshold, ratio and knee of `pair`; takes new time constants, detector and link
  /// at once.
  void set(int pair, const DynamicsSettings& s, Detector detector, double link_pct) noexcept;

  /// One frame: the side-chain samples in, each lane's gain reduction (dB, >= 0) out.
  V process(V sidechain) noexcept {
    if (gliding_) glide();
    const V gr = step(sidechain, power_, held_power_, gr_db_);
    gr_db_ = settle(gr);
    held_power_ = settle(held_power_);
    return gr;
  }

  /// process() for `n` frames. While the curve is still, the detector, the curve and the
  /// ballistics of each frame run in one loop with the state in locals: the two recursions
  /// (detector power, gain reduction) are short next to the curve, so the curve of one frame
  /// overlaps the recursions of the next.
  void process_block(const V* sidechain, V* gr_db, std::uint32_t n) noexcept {
    if (gliding_) {
      for (std::uint32_t i = 0; i < n; ++i) gr_db[i] = process(sidechain[i]);
      return;
    }
    V power = power_;
    V held = held_power_;
    V gr = gr_db_;
    std::uint32_t i = 0;
    const auto twice = [](V v) { return simd::join(v, v); };
    const Curve<Wide> wide = {twice(curve_.threshold_db), twice(curve_.slope),
                              twice(curve_.knee_db), twice(curve_.half_inv_knee),
                              twice(curve_.link)};
    const Wide floor = twice(floor_power_);
    for (; i + 2 <= n; i += 2) {
      const V first = detect(sidechain[i], power, held);
      const V second = detect(sidechain[i + 1], power, held);
      V first_target{};
      V second_target{};
      if constexpr (kWideCurve) {
        const Wide powers = simd::join(first, second);
        if (simd::any(powers > floor)) {
          const Wide target = target_of(powers, wide);
          first_target = simd::low_half(target);
          second_target = simd::high_half(target);
        }
      } else if (simd::any(first > floor_power_) || simd::any(second > floor_power_)) {
        first_target = target_of(first, curve_);
        second_target = target_of(second, curve_);
      }
      gr_db[i] = gr = ballistics(first_target, gr);
      gr_db[i + 1] = gr = ballistics(second_target, gr);
    }
    for (; i < n; ++i) gr_db[i] = gr = step(sidechain[i], power, held, gr);
    power_ = power;
    held_power_ = settle(held);
    gr_db_ = settle(gr);
  }

  /// Largest current gain reduction of the two channels of `pair`, in dB.
  double gain_reduction_db(int pair) const noexcept {
    const auto l = static_cast<double>(gr_db_[2 * pair]);
    const auto r = static_cast<double>(gr_db_[2 * pair + 1]);
    return l > r ? l : r;
  }

  /// The level the static curve of `pair` acts on, in dB (10 log10 of the detector's mean
  /// square; with peak detection the squared sample): the louder channel's, held at its peaks
  /// and falling kLevelFallDbPerS, so that a meter read at any moment shows the level of
  /// the peaks the gain reduction follows. Below -300 dB for silence.
  double detector_level_db(int pair) const noexcept;

 private:
  void glide() noexcept;
  void load_curve() noexcept;

  // The curve takes frames two at a time, in one vector where a register holds both (f64x2
  // always, f32x8 with 512-bit registers); both frames skip it or neither, on every
  // instruction set alike.
  static constexpr bool kWideCurve = sizeof(V) == 16 || simd::kWideRegisters;
  using Wide = std::conditional_t<std::is_same_v<V, simd::f64x2>, simd::f64x4, simd::f32x16>;

  // The curve per lane, in V or (for two frames at once) in Wide.
  template <typename W>
  struct Curve {
    W threshold_db{};
    W slope{};
    W knee_db{};
    W half_inv_knee{};
    W link{};
  };

  // Static curve and link of detector powers.
  template <typename W>
  static W target_of(W power, const Curve<W>& c) noexcept {
    const W target = static_gain_reduction_db<W>(power_to_db(power), c.threshold_db, c.slope,
                                                 c.knee_db, c.half_inv_knee);
    return simd::fma(c.link, simd::max<W>(target, simd::swap_pairs(target)) - target, target);
  }

  V ballistics(V target, V gr_db) const noexcept {
    const V coef = simd::select<V>(target > gr_db, attack_coef_, release_coef_);
    return simd::fma(coef, gr_db - target, target);
  }

  // The detector's power after one frame: the square of the side chain (peak: rms_coef_ 0)
  // or its running mean; `held` follows its peaks for the meters.
  V detect(V sidechain, V& power, V& held) const noexcept {
    const V level = sidechain * sidechain;
    power = simd::fma(rms_coef_, power - level, level);
    held = simd::max<V>(power, held * level_fall_);
    return power;
  }

  // Detector, curve and ballistics of one frame on the state (power, gr_db). Below
  // T - W/2 the curve gives no reduction, so the log is not needed there.
  V step(V sidechain, V& power, V& held, V gr_db) const noexcept {
    detect(sidechain, power, held);
    const V target = simd::any(power > floor_power_) ? target_of(power, curve_) : V{};
    return ballistics(target, gr_db);
  }

  // Ends the release's exponential tail at a reduction no meter shows, so that a compressor
  // at rest returns to unity gain exactly (and never reaches denormals); once per block, off
  // the per-sample recursion. The held level's fall ends the same way, at -90 dB.
  static V settle(V v) noexcept {
    return simd::select<V>(v < simd::splat<V>(1e-9), V{}, v);
  }

  double sample_rate_ = 48000.0;
  std::array<LinearSmoother, kPairs> threshold_glide_;
  std::array<LinearSmoother, kPairs> slope_glide_;  // 1 - 1/ratio
  std::array<LinearSmoother, kPairs> knee_glide_;
  bool gliding_ = false;
  // Per lane: the curve (from the glides) and the link (0 = independent channels, 1 = one
  // gain for both), the detector power below which the curve gives no reduction, and
  // one-pole coefficients exp(-1 / (tau * fs)).
  Curve<V> curve_;
  V floor_power_{};
  V attack_coef_{};
  V release_coef_{};
  V rms_coef_{};
  V level_fall_{};  // per-sample factor of held_power_'s fall
  V power_{};       // detector state: mean square per lane
  V held_power_{};  // power_ held at its peaks, falling (meters only)
  V gr_db_{};       // smoothed gain reduction per lane
};

extern template class Dynamics<simd::f64x2>;
extern template class Dynamics<simd::f32x8>;

}  // namespace lacquer::dsp
