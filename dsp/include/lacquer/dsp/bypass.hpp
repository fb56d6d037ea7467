#pragma once
// The bypass crossfade of a zero-latency stage: switching bypass fades between the processed
// and the dry signal instead of jumping, and a fully bypassed stage is skipped altogether so
// that its output is its input, bit for bit.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "lacquer/dsp/smoother.hpp"

namespace lacquer::dsp {

class BypassFade {
 public:
  /// Length of the crossfade.
  static constexpr double kFadeMs = 10.0;

  /// Allocates the dry copies for blocks of up to `max_block` frames.
  void prepare(double sample_rate, std::uint32_t max_block) {
    wet_.prepare(sample_rate, kFadeMs);
    dry_[0].assign(max_block, 0.0);
    dry_[1].assign(max_block, 0.0);
  }

  /// Jumps to the state with no fade.
  void reset(bool bypass) noexcept { wet_.reset(bypass ? 0.0 : 1.0); }

  /// Starts a fade when the switch changes. True when the stage was fully bypassed and now
  /// fades in: its filter and detector state is stale and must be cleared first.
  bool set_bypass(bool bypass) noexcept {
    const bool resume = idle() && !bypass;
    wet_.set_target(bypass ? 0.0 : 1.0);
    return resume;
  }

  /// Fully bypassed and not fading: the stage skips processing.
  bool idle() const noexcept { return wet_.current() == 0.0 && !wet_.ramping(); }

  /// Before processing: keeps a copy of the input while a fade is in progress.
  void capture(const double* left, const double* right, std::uint32_t n) noexcept {
    fading_ = wet_.ramping();
    if (!fading_) return;
    std::copy(left, left + n, dry_[0].data());
    std::copy(right, right + n, dry_[1].data());
  }

  /// After processing: mixes the dry copy back in while fading.
  void mix(double* left, double* right, std::uint32_t n) noexcept {
    if (!fading_) return;
    const double* dl = dry_[0].data();
    const double* dr = dry_[1].data();
    for (std::uint32_t i = 0; i < n; ++i) {
      const double w = wet_.next();
      left[i] = dl[i] + w * (left[i] - dl[i]);
      right[i] = dr[i] + w * (right[i] - dr[i]);
    }
  }

 private:
  LinearSmoother wet_;             // 1 = processed, 0 = dry
  bool fading_ = false;            // a fade runs through the current block
  std::vector<double> dry_[2];     // the block's input while fading
};

}  // namespace lacquer::dsp
