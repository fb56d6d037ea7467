#pragma once
// Latest-value mailbox between one writer and one reader without locks: the writer fills a
// private slot and publishes it by swapping an index; the reader takes the newest published
// slot. Neither side ever waits, and the reader never sees a half-written value.

#include <atomic>
#include <cstdint>

namespace lacquer::dsp {

template <typename T>
class TripleBuffer {
 public:
  /// Writer: the slot to fill before publish().
  T& write_slot() noexcept { return slots_[back_]; }

  /// Writer: makes the filled slot the newest value.
  void publish() noexcept {
    back_ = middle_.exchange(back_ | kFresh, std::memory_order_acq_rel) & kIndex;
  }

  /// Reader: copies the newest value into `out`; false when nothing new since the last read.
  bool read(T& out) noexcept {
    if ((middle_.load(std::memory_order_relaxed) & kFresh) == 0) return false;
    front_ = middle_.exchange(front_, std::memory_order_acq_rel) & kIndex;
    out = slots_[front_];
    return true;
  }

 private:
  static constexpr std::uint32_t kIndex = 3;
  static constexpr std::uint32_t kFresh = 4;  // set in middle_ when the writer published

  T slots_[3]{};
  std::uint32_t back_ = 0;   // writer's slot
  std::uint32_t front_ = 1;  // reader's slot
  std::atomic<std::uint32_t> middle_{2};
};

}  // namespace lacquer::dsp
