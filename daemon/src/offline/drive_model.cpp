#include "offline/drive_model.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lacquer::daemon {

DriveLoudnessModel::DriveLoudnessModel(double sample_rate)
    : sample_rate_(sample_rate),
      weighting_(sample_rate),
      block_frames_(dsp::IntegratedLoudness::block_frames(sample_rate)) {}

void DriveLoudnessModel::push(const double* left, const double* right, std::size_t n) {
  frame_energy_.resize(n);
  weighting_.push(left, right, n, frame_energy_.data());
  for (std::size_t i = 0; i < n; ++i) {
    step_energy_ += frame_energy_[i];
    step_peak_ = std::max({step_peak_, std::abs(left[i]), std::abs(right[i])});
    ++in_step_;
    ++in_block_;
    const bool block_done = in_block_ == block_frames_;
    if (block_done || in_step_ == kStep) {
      energy_.push_back(step_energy_);
      peak_db_.push_back(20.0 * std::log10(step_peak_));
      step_energy_ = step_peak_ = 0.0;
      in_step_ = 0;
    }
    if (block_done) {
      block_ends_.push_back(static_cast<std::uint32_t>(energy_.size()));
      in_block_ = 0;
    }
  }
}

double DriveLoudnessModel::lufs(double drive_db, const LimiterShape& shape) const {
  const std::size_t steps = block_ends_.empty() ? 0 : block_ends_.back();
  const double step_ms = 1000.0 * kStep / sample_rate_;
  const auto behind = static_cast<std::size_t>(std::ceil(shape.hold_ms / step_ms));
  const auto ahead = static_cast<std::size_t>(std::ceil(shape.lookahead_ms / step_ms));
  const double release = std::exp(-static_cast<double>(kStep) / (shape.release_ms * 1e-3 * sample_rate_));
  const double over = drive_db - shape.ceiling_dbtp;
  const auto request = [&](std::size_t i) { return std::max(0.0, peak_db_[i] + over); };
  constexpr double kDbToPowerExponent = -std::numbers::ln10 / 10.0;
  const double gain = std::exp(-kDbToPowerExponent * (drive_db + shape.output_gain_db));

  // The largest request from `behind` steps back to `ahead` steps on, by a queue of steps
  // whose requests fall from its head.
  std::vector<std::uint32_t> window(steps);
  std::size_t head = 0, tail = 0, entered = 0;
  std::vector<double> blocks(block_ends_.size());
  double released = 0.0, sum = 0.0;
  for (std::size_t j = 0, block = 0; j < steps; ++j) {
    for (; entered < steps && entered <= j + ahead; ++entered) {
      const double r = request(entered);
      while (tail > head && request(window[tail - 1]) <= r) --tail;
      window[tail++] = static_cast<std::uint32_t>(entered);
    }
    while (window[head] + behind < j) ++head;
    released = std::max(request(window[head]), released * release);
    sum += released > 0.0 ? energy_[j] * std::exp(kDbToPowerExponent * released) : energy_[j];
    if (j + 1 == block_ends_[block]) {
      blocks[block++] = sum * gain;
      sum = 0.0;
    }
  }
  return dsp::IntegratedLoudness::gated_lufs(blocks, block_frames_);
}

double DriveLoudnessModel::drive_for(double target_lufs, const LimiterShape& shape, double lowest,
                                     double highest) const {
  // Regula falsi with the Illinois change (the prediction rises with the drive), halving the
  // range while the low end is silence to the gate (-inf).
  double lo = lowest, hi = highest;
  double f_lo = lufs(lo, shape) - target_lufs;
  double f_hi = lufs(hi, shape) - target_lufs;
  if (!(f_lo <= 0.0 && f_hi >= 0.0)) return NAN;
  int kept = 0;  // which end stayed put last time: -1 low, 1 high
  for (int i = 0; i < 60 && hi - lo > 0.001; ++i) {
    const double d = !std::isfinite(f_lo) || f_hi == f_lo ? 0.5 * (lo + hi)
                                                          : (lo * f_hi - hi * f_lo) / (f_hi - f_lo);
    const double f = lufs(d, shape) - target_lufs;
    if (std::abs(f) < 1e-4) return d;
    if (f > 0.0) {
      hi = d, f_hi = f;
      if (kept == -1) f_lo /= 2.0;
      kept = -1;
    } else {
      lo = d, f_lo = f;
      if (kept == 1) f_hi /= 2.0;
      kept = 1;
    }
  }
  return 0.5 * (lo + hi);
}

}  // namespace lacquer::daemon
