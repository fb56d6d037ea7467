#include "audio/callback_times.hpp"

#include <cmath>

namespace lacquer::daemon {

CallbackTimes::CallbackTimes()
    : counts_(std::make_unique<std::atomic<std::uint64_t>[]>(kBuckets)) {}

std::vector<std::uint64_t> CallbackTimes::snapshot() const {
  std::vector<std::uint64_t> out(kBuckets);
  for (std::size_t b = 0; b < kBuckets; ++b) out[b] = counts_[b].load(std::memory_order_relaxed);
  return out;
}

CallbackTimes::Summary CallbackTimes::summarize(const std::vector<std::uint64_t>& before,
                                                const std::vector<std::uint64_t>& after) {
  std::vector<std::uint64_t> window(after.size());
  Summary s;
  for (std::size_t b = 0; b < after.size(); ++b) {
    window[b] = after[b] - (b < before.size() ? before[b] : 0);
    s.callbacks += window[b];
    if (window[b] > 0) s.max_us = static_cast<double>(b + 1);
  }
  if (s.callbacks == 0) return s;
  // The q-quantile is the first bucket by which ceil(q·n) callbacks have been counted.
  const auto quantile = [&](double q) {
    const auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(s.callbacks)));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < window.size(); ++b) {
      seen += window[b];
      if (seen >= rank) return static_cast<double>(b + 1);
    }
    return s.max_us;
  };
  s.p50_us = quantile(0.5);
  s.p99_us = quantile(0.99);
  s.p999_us = quantile(0.999);
  return s;
}

}  // namespace lacquer::daemon
