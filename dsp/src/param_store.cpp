#include "lacquer/dsp/param_store.hpp"

namespace lacquer::dsp {

ParamStore::ParamStore(const Schema& schema)
    : schema_(schema),
      values_(std::make_unique<std::atomic<double>[]>(schema.size())),
      stamps_(std::make_unique<std::atomic<std::uint64_t>[]>(schema.size())) {
  reset_to_defaults();
}

void ParamStore::reset_to_defaults() noexcept {
  const std::uint64_t stamp = version_.load(std::memory_order_relaxed) + 1;
  for (ParamId id = 0; id < schema_.size(); ++id) {
    values_[id].store(schema_.params()[id].default_value, std::memory_order_relaxed);
    stamps_[id].store(stamp, std::memory_order_release);
  }
  version_.store(stamp, std::memory_order_release);
}

}  // namespace lacquer::dsp
