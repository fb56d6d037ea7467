#pragma once
// The multiband stage: up to four bands split by Linkwitz-Riley 4th-order crossovers, each
// band compressed on its own (threshold, ratio, knee, attack, release, makeup, bypass, solo)
// with a common stereo link, on left/right or on mid/side, and summed again.
//
// The crossovers sum to an allpass, not to the input, so a stage with every band at unity
// would still turn the phase. To keep the default chain a null, the stage passes its input
// untouched while it is neutral (every band at ratio 1 and 0 dB makeup, or band-bypassed, and
// nothing soloed) and crossfades into the band-split path when it is not. Changing the band
// count or the left/right vs mid/side mode crossfades through the dry signal the same way.

#include <array>
#include <cstdint>

#include "lacquer/dsp/bypass.hpp"
#include "lacquer/dsp/crossover.hpp"
#include "lacquer/dsp/dynamics.hpp"
#include "lacquer/dsp/simd.hpp"
#include "lacquer/dsp/smoother.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class MultibandStage {
 public:
  static constexpr int kBands = Crossover::kMaxBands;
  /// Glide of makeup gain, band bypass and solo.
  static constexpr double kGainGlideMs = 20.0;

  /// Channels the bands work on; the names are the values of /chain/multiband/mode.
  enum class Mode { stereo, mid_side };

  struct Band {
    /// Defaults (0 dBFS, 1:1) leave the band untouched; multiband release default 150 ms.
    DynamicsSettings dynamics{};
    double makeup_db = 0.0;  ///< expected -12..+24
    bool bypass = false;     ///< pass the band at unity
    bool solo = false;       ///< when any band is soloed, only soloed bands are heard
    bool operator==(const Band&) const = default;
  };

  struct Params {
    bool bypass = false;
    int bands = kBands;  ///< 2..4
    /// Crossover k sits between band k and band k + 1 (1-based in command paths); expected
    /// 20..20000 Hz, made ascending.
    std::array<double, Crossover::kMaxSplits> crossover_hz = {120.0, 1000.0, 6000.0};
    std::array<Band, kBands> band{};  ///< band 1 of the command paths is band[0]
    double link_pct = 100.0;          ///< 0..100: link of the two channels' detectors
    Mode mode = Mode::stereo;         ///< in mid_side the link couples mid and side
    Detector detector = Detector::peak;
    bool operator==(const Params&) const = default;
  };

  // reset() also clears the crossover and the detectors.
  LACQUER_PRINT_STAGE_MEMBERS;
  std::uint32_t latency_frames() const noexcept { return 0; }
  /// Largest current gain reduction over the bands (dB, >= 0).
  double gain_reduction_db() const noexcept;
  /// Current gain reduction of one band (0-based).
  double band_gain_reduction_db(int band) const noexcept {
    return dynamics_.gain_reduction_db(band);
  }
  /// Detector level of one band (0-based; dB, held at its peaks).
  double band_detector_level_db(int band) const noexcept {
    return dynamics_.detector_level_db(band);
  }

 private:
  // One band's per-sample gains.
  struct BandGains {
    LinearSmoother makeup_;   // linear makeup gain
    LinearSmoother active_;   // 1 = compressed, 0 = band bypassed (unity)
    LinearSmoother audible_;  // 1 = heard, 0 = muted by another band's solo
  };

  static bool neutral(const Params& p) noexcept;
  void apply_structure() noexcept;
  void apply_bands(bool jump) noexcept;
  void engage(bool on) noexcept;
  void next_weights() noexcept;
  template <int kSplits>
  void process_split(double* left, double* right, std::uint32_t n) noexcept;

  Params params_;
  int live_bands_ = kBands;      // band count and mode the crossover runs with
  Mode live_mode_ = Mode::stereo;
  bool restructuring_ = false;   // fading to dry to take a new band count or mode
  BypassFade bypass_;            // the stage's bypass switch
  BypassFade split_fade_;        // dry while neutral or restructuring, else the split path
  Crossover crossover_;
  // The four bands' compressors in the lanes of one vector (bands 1 to 4, left and right
  // of each, as the crossover delivers them).
  Dynamics<simd::f32x8> dynamics_;
  std::array<BandGains, kBands> gains_;
  bool weights_moving_ = false;  // a band gain is gliding
  // Per lane, a band's output is (dry_weight_ + wet_weight_ * g) x band for its compressor
  // gain g: audible (1 - active) + audible active makeup g.
  std::array<simd::f64x4, 2> dry_weight_{};
  std::array<simd::f64x4, 2> wet_weight_{};
  // process_split() works through its block in chunks of kChunk frames: the frames as
  // split, the bands (as the crossover delivers them), the side chain (the bands in single
  // precision) and the compressors' reductions.
  static constexpr std::uint32_t kChunk = Crossover::kMaxBlockFrames;
  std::array<simd::f64x2, kChunk> frames_{};
  std::array<std::array<simd::f64x4, kChunk>, 2> bands_{};
  std::array<simd::f32x8, kChunk> sidechain_{};
  std::array<simd::f32x8, kChunk> reduction_{};
};

static_assert(PrintStage<MultibandStage>);

}  // namespace lacquer::dsp
