#pragma once
// Wait-free single-producer single-consumer ring of trivially copyable items. Capacity is
// fixed at construction (the only allocation); push and pop never allocate or block.

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>

namespace lacquer::dsp {

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "items cross the audio thread by copy");

 public:
  /// Holds up to `capacity` items (rounded up to a power of two).
  explicit SpscRing(std::size_t capacity) : mask_(round_up(capacity) - 1) {
    items_ = std::make_unique<T[]>(mask_ + 1);
  }

  std::size_t capacity() const noexcept { return mask_ + 1; }

  /// Producer: false when full (the item is dropped; the caller counts it).
  bool push(const T& item) noexcept {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) > mask_) return false;
    items_[head & mask_] = item;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  /// Producer: writes as many of `items` as fit; returns how many.
  std::size_t push(std::span<const T> items) noexcept {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    const std::size_t free_slots = capacity() - (head - tail_.load(std::memory_order_acquire));
    const std::size_t n = items.size() < free_slots ? items.size() : free_slots;
    for (std::size_t i = 0; i < n; ++i) items_[(head + i) & mask_] = items[i];
    head_.store(head + n, std::memory_order_release);
    return n;
  }

  /// Consumer: the oldest item, or nothing when empty.
  std::optional<T> pop() noexcept {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return std::nullopt;
    T item = items_[tail & mask_];
    tail_.store(tail + 1, std::memory_order_release);
    return item;
  }

  /// Consumer: reads up to out.size() items; returns how many.
  std::size_t pop(std::span<T> out) noexcept {
    const std::size_t tail = tail_.load(std::memory_order_relaxed);
    const std::size_t available = head_.load(std::memory_order_acquire) - tail;
    const std::size_t n = out.size() < available ? out.size() : available;
    for (std::size_t i = 0; i < n; ++i) out[i] = items_[(tail + i) & mask_];
    tail_.store(tail + n, std::memory_order_release);
    return n;
  }

  /// Either side: items waiting (exact only on the consumer side).
  std::size_t size() const noexcept {
    return head_.load(std::memory_order_acquire) - tail_.load(std::memory_order_acquire);
  }

 private:
  static std::size_t round_up(std::size_t n) {
    std::size_t p = 1;
    while (p < n) p <<= 1;
    return p;
  }

  std::size_t mask_;
  std::unique_ptr<T[]> items_;
  alignas(64) std::atomic<std::size_t> head_{0};  // next slot the producer writes
  alignas(64) std::atomic<std::size_t> tail_{0};  // next slot the consumer reads
};

}  // namespace lacquer::dsp
