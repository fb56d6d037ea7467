#include "timeline.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lacquer::daemon::deliver {

TimelineMixer::TimelineMixer(std::vector<std::filesystem::path> renders, std::vector<Placement> places)
    : renders_(std::move(renders)), places_(std::move(places)), open_(renders_.size()), in_(2 * kMaxBlock) {}

void TimelineMixer::mix(std::int64_t b0, std::int64_t b1, double* left, double* right) {
  std::fill(left, left + (b1 - b0), 0.0);
  std::fill(right, right + (b1 - b0), 0.0);
  for (std::size_t i = 0; i < places_.size(); ++i) {
    const Placement& p = places_[i];
    if (p.end <= b0 || p.start >= b1) continue;
    // Opened when first reached and closed at its end: a long album never holds every file.
    if (!open_[i]) open_[i] = SoundFile::open(renders_[i]);
    const std::int64_t from = std::max(b0, p.start);
    const std::int64_t to = std::min(b1, p.end);
    open_[i].read(in_.data(), to - from);
    for (std::int64_t t = from; t < to; ++t) {
      double g = 1.0;
      if (t - p.start < p.fade_in) {
        const double x = (static_cast<double>(t - p.start) + 0.5) / static_cast<double>(p.fade_in);
        g *= std::pow(std::sin(0.5 * std::numbers::pi * x), 2);
      }
      if (p.end - t <= p.fade_out) {
        const double x = (static_cast<double>(p.end - t) - 0.5) / static_cast<double>(p.fade_out);
        g *= std::pow(std::sin(0.5 * std::numbers::pi * x), 2);
      }
      const auto k = static_cast<std::size_t>(t - from);
      left[t - b0] += g * static_cast<double>(in_[2 * k]);
      right[t - b0] += g * static_cast<double>(in_[2 * k + 1]);
    }
    if (p.end <= b1) open_[i] = SoundFile();
  }
}

}  // namespace lacquer::daemon::deliver
