#pragma once
// The stereo stage: width as the balance of side against mid, and "mono below" for vinyl: the
// side signal passes a Linkwitz-Riley 4th-order high-pass and the mid signal the matching
// allpass, so below the frequency the image is mono and above it both keep the same phase.

#include <array>
#include <cstdint>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/bypass.hpp"
#include "lacquer/dsp/smoother.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class StereoStage {
 public:
  /// Glide of width and of the mono-below frequency.
  static constexpr double kGlideMs = 20.0;
  /// Lowest mono-below frequency; a smaller positive value is raised to it.
  static constexpr double kMinMonoHz = 5.0;

  struct Params {
    bool bypass = false;
    double width_pct = 100.0;  ///< 0..200: side gain in percent (0 = mono, 100 = unchanged)
    double mono_below_hz = 0.0;  ///< 0 = off; expected up to 300 Hz
    bool operator==(const Params&) const = default;
  };

  LACQUER_PRINT_STAGE_MEMBERS;
  std::uint32_t latency_frames() const noexcept { return 0; }

 private:
  void start_mono() noexcept;
  void design(bool jump) noexcept;
  void process_mono(double* left, double* right, std::uint32_t n) noexcept;

  double sample_rate_ = 48000.0;
  Params params_;
  BypassFade bypass_;
  BypassFade mono_fade_;      // dry while mono-below is off, else the filtered path
  FilterGlide mono_glide_;    // the mono-below frequency
  BiquadRamp high_pass_;      // side: Butterworth high-pass, run twice (LR4)
  BiquadRamp all_pass_;       // mid: the LR4's allpass
  std::array<BiquadState, 2> side_state_;
  BiquadState mid_state_;
  std::uint32_t until_redesign_ = 0;  // frames left before the glide advances again
  LinearSmoother width_;      // side gain as a fraction
};

static_assert(PrintStage<StereoStage>);

}  // namespace lacquer::dsp
