#pragma once
// Parameter targets shared between the control thread (writer) and the audio thread
// (reader). One atomic per parameter: the audio thread reads each once per block and
// smooths towards it, so no queue can overflow and the newest value always wins.

#include <atomic>
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
    values_[id].store(value, std::memory_order_relaxed);
    version_.fetch_add(1, std::memory_order_release);
  }

  /// Any thread: the current target.
  double get(ParamId id) const noexcept { return values_[id].load(std::memory_order_relaxed); }

  /// Increments on every set(); lets the audio thread skip re-reading an unchanged store.
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

  /// Every parameter back to its default.
  void reset_to_defaults() noexcept;

 private:
  const Schema& schema_;
  std::unique_ptr<std::atomic<double>[]> values_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace lacquer::dsp
