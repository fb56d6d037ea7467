#include "lacquer/control/rate_limit.hpp"

#include <algorithm>

namespace lacquer::control {

bool TokenBucket::allow(Clock::time_point now) {
  if (now > last_) {
    const double elapsed_s = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed_s * rate_per_s_);
    last_ = now;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void KeyedLimiter::prune(Clock::time_point now) {
  // A bucket idle for burst/rate seconds is full again: forgetting it changes nothing.
  const auto refill = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(burst_ / std::max(rate_per_s_, 1e-9)));
  std::erase_if(buckets_, [&](const auto& kv) { return now - kv.second.last_seen() > refill; });
}

bool KeyedLimiter::allow(const std::string& key, Clock::time_point now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) prune(now);
    if (buckets_.size() >= max_keys_) return overflow_.allow(now);
    it = buckets_.emplace(key, TokenBucket(rate_per_s_, burst_, now)).first;
  }
  return it->second.allow(now);
}

bool LogLimiter::allow(Clock::time_point now, std::uint64_t& suppressed) {
  if (now - window_start_ >= interval_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= per_interval_) {
    ++suppressed_;
    return false;
  }
  ++in_window_;
  suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace lacquer::control
