#pragma once
// The comp stage: a broadband feed-forward glue compressor. Peak or RMS detection on a
// high-passed side chain (so bass does not pump the mix), the Giannoulis soft-knee curve,
// smooth attack/release on the gain reduction, makeup (manual, or automatic on request) and a
// dry/wet mix for parallel compression. Zero latency: the dry signal needs no delay.

#include <array>
#include <cstdint>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/bypass.hpp"
#include "lacquer/dsp/dynamics.hpp"
#include "lacquer/dsp/vector_section.hpp"
#include "lacquer/dsp/smoother.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class CompStage {
 public:
  /// Glide of makeup gain and mix.
  static constexpr double kGainGlideMs = 20.0;
  /// Level at which automatic makeup cancels the static curve's reduction: -18 dBFS, the
  /// EBU alignment level, a typical programme level into a glue compressor.
  static constexpr double kAutoMakeupLevelDb = -18.0;

  struct Params {
    bool bypass = false;
    /// Threshold, ratio, knee, attack, release. The defaults (0 dBFS, 1:1) leave the signal
    /// untouched; the comp's release default is 200 ms.
    DynamicsSettings dynamics{.release_ms = 200.0};
    double makeup_db = 0.0;  ///< expected -12..+24
    /// Adds the static reduction at kAutoMakeupLevelDb to the makeup. Off by default.
    bool auto_makeup = false;
    Detector detector = Detector::peak;
    double sidechain_hpf_hz = 10.0;  ///< expected 10..500: 12 dB/oct Butterworth high-pass
    double mix_pct = 100.0;          ///< expected 0..100: share of the compressed signal
    double link_pct = 100.0;         ///< 0..100: stereo link of the detectors
    bool operator==(const Params&) const = default;
  };

  // reset() also clears the detector and the side-chain filter.
  LACQUER_PRINT_STAGE_MEMBERS;
  std::uint32_t latency_frames() const noexcept { return 0; }
  /// Current gain reduction (dB, >= 0), the larger of the two channels.
  double gain_reduction_db() const noexcept { return dynamics_.gain_reduction_db(0); }
  /// The side chain's detector level (dB, held at its peaks; Dynamics::detector_level_db).
  double detector_level_db() const noexcept { return dynamics_.detector_level_db(0); }

 private:
  void apply(const Params& p, bool jump) noexcept;

  double sample_rate_ = 48000.0;
  Params params_;
  BypassFade bypass_;
  Dynamics<simd::f64x2> dynamics_;
  VectorCoeffs<simd::f64x2> sidechain_hpf_;  // side-chain high-pass, both channels
  VectorSection<simd::f64x2> sidechain_state_;
  // process() works in chunks of kChunk frames: the filtered side chain and its reductions.
  static constexpr std::uint32_t kChunk = 64;
  std::array<simd::f64x2, kChunk> sidechain_{};
  std::array<simd::f64x2, kChunk> reduction_{};
  LinearSmoother makeup_gain_;      // linear makeup (manual + automatic)
  LinearSmoother mix_;              // 0 = dry, 1 = compressed
};

static_assert(PrintStage<CompStage>);

}  // namespace lacquer::dsp
