#pragma once
// The de-esser: a split-band compressor for sibilance (which lacquer cutting and lossy codecs
// punish). A Linkwitz-Riley 4th-order split at freq_hz divides the signal into a low and a
// high band; the high band alone feeds the detector (RMS, stereo linked, hard knee) and
// alone takes the gain reduction, at most range_db. Low + high at no reduction is the LR4
// allpass: flat in magnitude, so material without sibilance keeps its level. Zero latency.
//
// Static curve of a steady tone of level L at f (x = f / freq_hz, high-band share
// H = x^4 / (1 + x^4)): the detector reads L + 20 log10 H, the reduction is
// gr = min(range, max(0, (that - threshold)(1 - 1/ratio))), and the tone leaves at
// (1 + g x^4) / (1 + x^4) of its level, g = 10^(-gr/20).

#include <array>
#include <cstdint>

#include "lacquer/dsp/bypass.hpp"
#include "lacquer/dsp/crossover.hpp"
#include "lacquer/dsp/dynamics.hpp"
#include "lacquer/dsp/simd.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class DeesserStage {
 public:
  struct Params {
    bool bypass = true;
    double freq_hz = 6000.0;      ///< split; expected 2000..12000
    double threshold_db = -30.0;  ///< RMS level of the high band where reduction starts
    double ratio = 4.0;           ///< expected 1..20
    double range_db = 12.0;       ///< most reduction, expected 0..24
    double attack_ms = 1.0;       ///< time constant of a reduction increase
    double release_ms = 60.0;     ///< time constant of a reduction decrease
    bool operator==(const Params&) const = default;
  };

  // The PrintStage interface (stage.hpp): reset jumps and clears the split and detector,
  // set_params glides the split frequency and the curve.
  LACQUER_PRINT_STAGE_MEMBERS;
  std::uint32_t latency_frames() const noexcept { return 0; }
  /// Current reduction of the high band (dB, >= 0).
  double gain_reduction_db() const noexcept;
  /// The high band's RMS detector level (dB, held at its peaks).
  double detector_level_db() const noexcept { return dynamics_.detector_level_db(0); }

 private:
  // Follows params_: at once (jump) or gliding.
  void follow_params(bool jump) noexcept;

  Params params_;
  BypassFade bypass_;
  Crossover split_;                   // two bands: lanes (low L, low R, high L, high R)
  Dynamics<simd::f64x2> dynamics_;    // pair 0: the high band's detector and ballistics
  simd::f64x2 range_db_{};            // most reduction, both lanes
  // process() works in chunks of the crossover's block: frames, bands, reductions.
  static constexpr std::uint32_t kChunk = Crossover::kMaxBlockFrames;
  std::array<simd::f64x2, kChunk> frames_{};
  std::array<simd::f64x4, kChunk> bands_{};
  std::array<simd::f64x4, kChunk> unused_{};  // bands 3 and 4 of the split (none)
  std::array<simd::f64x2, kChunk> high_{};
  std::array<simd::f64x2, kChunk> reduction_{};
};

static_assert(PrintStage<DeesserStage>);

}  // namespace lacquer::dsp
