#pragma once
// How long the process callback takes, as a histogram at 1 µs resolution: the audio thread
// adds each callback with one relaxed increment (no lock, no allocation); other threads
// read percentiles between two snapshots of it.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace lacquer::daemon {

class CallbackTimes {
 public:
  /// 1 µs buckets; the last one also counts every longer callback.
  static constexpr std::size_t kBuckets = 8192;

  struct Summary {
    std::uint64_t callbacks = 0;
    // Upper bounds of the buckets that hold them, in µs (a callback of 41.3 µs reads 42).
    double p50_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    double max_us = 0;
  };

  CallbackTimes();

  /// Audio thread.
  void record(std::uint64_t nanoseconds) noexcept {
    const std::uint64_t bucket = nanoseconds / 1000;
    counts_[bucket < kBuckets ? bucket : kBuckets - 1].fetch_add(1, std::memory_order_relaxed);
    total_ns_.fetch_add(nanoseconds, std::memory_order_relaxed);
  }

  /// Any other thread: the counts since construction.
  std::vector<std::uint64_t> snapshot() const;
  /// Any other thread: every callback's time added up, in seconds.
  double total_seconds() const noexcept {
    return static_cast<double>(total_ns_.load(std::memory_order_relaxed)) * 1e-9;
  }

  /// The callbacks counted in `after` but not yet in `before` (two snapshots, or an empty
  /// `before` for everything in `after`).
  static Summary summarize(const std::vector<std::uint64_t>& before,
                           const std::vector<std::uint64_t>& after);

 private:
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> total_ns_{0};
};

}  // namespace lacquer::daemon
