#pragma once
// Rate limits for untrusted input: a token bucket, a bounded table of buckets keyed by
// source, and a limiter for log lines so a flood cannot flood the log too. Not thread-safe:
// each is owned by one thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace lacquer::control {

using Clock = std::chrono::steady_clock;

/// The least time between two pushes at `rate_hz`; 10 % early counts as due, because the
/// meter poller's ticks jitter around the same rate.
inline Clock::duration push_period(double rate_hz) {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(0.9 / (rate_hz > 0.1 ? rate_hz : 0.1)));
}

/// Allows `rate_per_s` events per second on average and bursts of `burst`.
class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double burst, Clock::time_point now)
      : rate_per_s_(rate_per_s), burst_(burst), tokens_(burst), last_(now) {}

  /// Takes one token; false when the bucket is empty.
  bool allow(Clock::time_point now);

  Clock::time_point last_seen() const noexcept { return last_; }

 private:
  double rate_per_s_;
  double burst_;
  double tokens_;  // available events, at most burst_
  Clock::time_point last_;
};

/// One bucket per key (a source address), at most `max_keys`; the table is pruned of keys
/// idle long enough to have refilled, and when still full, unknown keys share one bucket.
class KeyedLimiter {
 public:
  KeyedLimiter(double rate_per_s, double burst, std::size_t max_keys = 4096)
      : rate_per_s_(rate_per_s), burst_(burst), max_keys_(max_keys),
        overflow_(rate_per_s, burst, Clock::time_point{}) {}

  bool allow(const std::string& key, Clock::time_point now);
  std::size_t size() const noexcept { return buckets_.size(); }

 private:
  void prune(Clock::time_point now);

  double rate_per_s_;
  double burst_;
  std::size_t max_keys_;
  std::unordered_map<std::string, TokenBucket> buckets_;
  TokenBucket overflow_;  // shared by keys that found the table full
};

/// At most `per_interval` lines per interval; counts what it suppressed so the next line
/// that passes can say how many were dropped.
class LogLimiter {
 public:
  explicit LogLimiter(int per_interval = 5,
                      std::chrono::milliseconds interval = std::chrono::seconds(1))
      : per_interval_(per_interval), interval_(interval) {}

  /// True when a line may be written now; `suppressed` then holds the lines dropped since
  /// the last one written.
  bool allow(Clock::time_point now, std::uint64_t& suppressed);

 private:
  int per_interval_;
  std::chrono::milliseconds interval_;
  Clock::time_point window_start_{};
  int in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace lacquer::control
