#pragma once
// Parameter targets shared between the control thread (writer) and the audio thread
// (reader). One atomic per parameter: the audio thread reads each once per block and
// smooths towards it, so no queue can overflow and the newest value always wins. Each
// parameter also carries the stamp of its last change, so a reader re-reads only the
// parameters (the stages) that changed. One thread writes a store (the control executor,
// or the offline renderer before it runs).

#include <atomic>
#include <cmath>
#include <cstdint>
#include <memory>

#include "lacquer/dsp/param_schema.hpp"

namespace lacquer::dsp {

class ParamStore {
 public:
  /// Allocates one slot per schema entry, filled with the defaults.
  explicit ParamStore(const Schema& schema);

  const Schema& schema() const noexcept { return schema_; }

  /// Control side: stores an already validated (clamped) value.
  void set(ParamId id, double value) noexcept {
    const std::uint64_t stamp = version_.load(std::memory_order_relaxed) + 1;
    values_[id].store(value, std::memory_order_relaxed);
    // The value before its stamp, the stamp before the version: a reader that sees a new
    // version sees the stamps under it, and one that sees a stamp sees its value.
    stamps_[id].store(stamp, std::memory_order_release);
    version_.store(stamp, std::memory_order_release);
  }

  /// Any thread: the current target.
  double get(ParamId id) const noexcept { return values_[id].load(std::memory_order_relaxed); }
  /// A boolean parameter.
  bool flag(ParamId id) const noexcept { return get(id) >= 0.5; }
  /// An integer or choice parameter (the index into its choices).
  int index(ParamId id) const noexcept { return static_cast<int>(std::lround(get(id))); }

  /// Increments on every set(); lets the audio thread skip re-reading an unchanged store.
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }
  /// The version() at which `id` last changed (0: never since construction).
  std::uint64_t stamp(ParamId id) const noexcept {
    return stamps_[id].load(std::memory_order_acquire);
  }

  /// Every parameter back to its default.
  void reset_to_defaults() noexcept;

 private:
  const Schema& schema_;
  std::unique_ptr<std::atomic<double>[]> values_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> stamps_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace lacquer::dsp
