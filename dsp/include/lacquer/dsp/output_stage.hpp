#pragma once
// Output stage (chain stage 7): gain, then word-length reduction with dither. Zero
// latency. Sample-rate conversion for deliverables is not part of the real-time chain:
// see Resampler (resampler.hpp), which runs after the chain with the output stage's
// bits set to 0, followed by a Dither at the new rate (dither is always the last step).

#include <cstdint>

#include "lacquer/dsp/dither.hpp"
#include "lacquer/dsp/smoother.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class OutputStage {
 public:
  /// Gain glide and bypass crossfade time.
  static constexpr double kSmoothingMs = 10.0;

  struct Params {
    bool bypass = false;
    /// Output gain (dB).
    double gain_db = 0.0;
    /// Word length to reduce to: 0 leaves the signal as it is (float output), else 16 or
    /// 24 (any 1..24 works).
    int bits = 0;
    /// Dither for the reduction; ignored while bits is 0.
    DitherType dither = DitherType::kTpdf;
    bool operator==(const Params&) const = default;
  };

  // set_params(): gain and bypass glide; a change of bits or dither applies from the next
  // sample.
  LACQUER_PRINT_STAGE_MEMBERS;

  std::uint32_t latency_frames() const noexcept { return 0; }
  /// True when dither was asked for a noise-shaping set that has no design for this
  /// sample rate, so plain TPDF is used.
  bool shaping_fallback() const noexcept;

 private:
  Params params_;
  LinearSmoother gain_;     // linear output gain
  LinearSmoother wet_mix_;  // 1 = processed, 0 = bypassed
  Dither dither_;
};

static_assert(PrintStage<OutputStage>);

}  // namespace lacquer::dsp
