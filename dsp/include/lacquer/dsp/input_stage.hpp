#pragma once
// The input stage: DC-blocking high-pass (switchable), then trim, balance and per-channel
// polarity as one gain per channel, ramped per sample.

#include <array>
#include <cstdint>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/bypass.hpp"
#include "lacquer/dsp/smoother.hpp"
#include "lacquer/dsp/simd.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class InputStage {
 public:
  /// Glide of the channel gains (a polarity flip ramps through zero in this time).
  static constexpr double kGainGlideMs = 20.0;
  /// Corner of the DC blocker: a first-order high-pass, -3 dB at 5 Hz, 0.07 dB down at 40 Hz.
  static constexpr double kDcBlockHz = 5.0;

  struct Params {
    bool bypass = false;
    double trim_db = 0.0;       ///< expected -24..+24
    bool invert_left = false;   ///< polarity of the left channel
    bool invert_right = false;  ///< polarity of the right channel
    /// -100..+100 %: -100 silences the right channel, +100 the left, linearly; 0 leaves both
    /// at unity.
    double balance_pct = 0.0;
    bool dc_block = false;  ///< switch the DC-blocking high-pass in (crossfaded)
    bool operator==(const Params&) const = default;
  };

  LACQUER_PRINT_STAGE_MEMBERS;
  std::uint32_t latency_frames() const noexcept { return 0; }

 private:
  static std::array<double, 2> gains(const Params& p) noexcept;
  void dc_block(double* left, double* right, std::uint32_t n) noexcept;

  Params params_;
  BypassFade bypass_;
  BypassFade dc_fade_;  // dry while the DC blocker is off
  // The DC blocker, y[n] = b0 (x[n] - x[n - 1]) - a1 y[n - 1] (a first-order high-pass has
  // b1 = -b0), on (left, right): its coefficients, and its last input and output.
  double dc_b0_ = 1.0;
  double dc_a1_ = 0.0;
  simd::f64x2 dc_x1_{};
  simd::f64x2 dc_y1_{};
  std::array<LinearSmoother, 2> gain_;  // trim x balance x polarity per channel
};

static_assert(PrintStage<InputStage>);

}  // namespace lacquer::dsp
