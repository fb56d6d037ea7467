#include "lacquer/dsp/param_store.hpp"

namespace lacquer::dsp {

ParamStore::ParamStore(const Schema& schema)
    : schema_(schema), values_(std::make_unique<std::atomic<double>[]>(schema.size())) {
  reset_to_defaults();
}

void ParamStore::reset_to_defaults() noexcept {
  for (ParamId id = 0; id < schema_.size(); ++id) {
    values_[id].store(schema_.params()[id].default_value, std::memory_order_relaxed);
  }
  version_.fetch_add(1, std::memory_order_release);
}

}  // namespace lacquer::dsp
