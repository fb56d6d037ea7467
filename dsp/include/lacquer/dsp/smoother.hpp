#pragma once
// Linear per-sample glide towards a target, reaching it in a fixed time. A linear ramp
// bounds the largest sample-to-sample step (|target - start| / ramp_samples), which is what
// the no-click guarantee is stated in.

#include <cmath>
#include <cstdint>
#include <limits>

namespace lacquer::dsp {

class LinearSmoother {
 public:
  /// Ramp length from the sample rate and the parameter's smoothing time.
  void prepare(double sample_rate, double smoothing_ms) noexcept {
    ramp_samples_ = static_cast<std::uint32_t>(std::lround(sample_rate * smoothing_ms * 1e-3));
  }

  /// Jumps without a ramp (initial state, reset).
  void reset(double value) noexcept {
    current_ = target_ = value;
    step_ = 0.0;
    remaining_ = 0;
  }

  /// Starts a ramp from the current value; a no-op when the target is unchanged.
  void set_target(double target) noexcept {
    if (target == target_) return;
    target_ = target;
    if (ramp_samples_ == 0) {
      current_ = target;
      remaining_ = 0;
      return;
    }
    remaining_ = ramp_samples_;
    step_ = (target_ - current_) / static_cast<double>(ramp_samples_);
  }

  /// The next sample's value.
  double next() noexcept {
    if (remaining_ == 0) return current_;
    if (--remaining_ == 0) {
      current_ = target_;
    } else {
      current_ += step_;
    }
    return current_;
  }

  /// Advances n samples at once (for values applied per block, e.g. coefficients).
  double advance(std::uint32_t n) noexcept {
    if (n >= remaining_) {
      remaining_ = 0;
      current_ = target_;
    } else {
      remaining_ -= n;
      current_ += step_ * static_cast<double>(n);
    }
    return current_;
  }

  bool ramping() const noexcept { return remaining_ != 0; }
  double current() const noexcept { return current_; }
  double target() const noexcept { return target_; }

 private:
  double current_ = 0.0;   // value of the last sample produced
  double target_ = 0.0;    // value the ramp ends on
  double step_ = 0.0;      // increment per sample while ramping
  std::uint32_t remaining_ = 0;  // samples left in the ramp
  std::uint32_t ramp_samples_ = 0;
};

inline double db_to_gain(double db) noexcept { return std::pow(10.0, db / 20.0); }
inline double gain_to_db(double gain) noexcept {
  return gain > 0.0 ? 20.0 * std::log10(gain) : -std::numeric_limits<double>::infinity();
}

}  // namespace lacquer::dsp
