// The hub's chain states: the chain as a snapshot stores it, applying a stored state, and
// loading snapshots A and B into the engine to compare them.
#include <nlohmann/json.hpp>

#include "hub_common.hpp"
#include "lacquer/control/hub.hpp"

namespace lacquer::control {

using namespace hub_common;

nlohmann::json ControlHub::chain_state() const {
  nlohmann::json out = nlohmann::json::object();
  for (const Entry& e : table_.entries()) {
    if (e.param && e.path.starts_with("/chain/")) {
      out[e.path] = value_to_json(table_.wire_value(e, params_.get(*e.param)));
    }
  }
  return out;
}

bool ControlHub::comparing_snapshots(double compare) const noexcept {
  const auto c = static_cast<dsp::MonitorPath::Compare>(compare);
  return c == dsp::MonitorPath::Compare::a || c == dsp::MonitorPath::Compare::b;
}

Expected<std::size_t> ControlHub::load_snapshot_into(int which) {
  const char* name = which == 0 ? "A" : "B";
  auto state = sessions_->load_snapshot(name);
  if (!state.ok()) {
    return make_error(state.error().code, std::string("comparing snapshots needs snapshot ") +
                                              name + " of the current track: " +
                                              state.error().message);
  }
  if (!state->is_object()) {
    return make_error(ErrorCode::internal, std::string("snapshot ") + name + " is not an object");
  }
  // Read, not recalled: the compare leaves the track's applied snapshot as it is. Paths the
  // snapshot lacks (stored by an older schema) play as the chain has them now.
  dsp::ParamStore& store = engine_->snapshot_params(which);
  const dsp::Schema& schema = params_.schema();
  for (dsp::ParamId id = 0; id < static_cast<dsp::ParamId>(schema.size()); ++id) store.set(id, params_.get(id));
  std::size_t count = 0;
  for (const auto& [path, json] : state->items()) {
    auto target = table_.resolve(path);
    if (!target.ok() || !target->entry->param) continue;
    auto value = value_from_json(json);
    if (!value.ok()) continue;
    auto valid = table_.validate(*target, *value);
    if (!valid.ok()) continue;
    store.set(*target->entry->param, std::get<double>(*valid));
    ++count;
  }
  return count;
}

Expected<std::size_t> ControlHub::start_snapshot_compare() {
  if (engine_ == nullptr) {
    return make_error(ErrorCode::unavailable, "this daemon cannot compare snapshots");
  }
  if (sessions_ == nullptr) return no_store();
  std::size_t count = 0;
  for (int which = 0; which < 2; ++which) {
    auto loaded = load_snapshot_into(which);
    if (!loaded.ok()) return loaded.error();
    count += *loaded;
  }
  // Switching between A and B keeps the running chains (and their loudness so far).
  if (!comparing_snapshots(params_.get(*compare_entry_->param))) {
    engine_->restart_snapshots();
  }
  return count;
}

Expected<std::size_t> ControlHub::apply_state(const nlohmann::json& state, Origin origin) {
  if (!state.is_object()) {
    return make_error(ErrorCode::bad_request, "a state is an object of paths to values");
  }
  std::size_t count = 0;
  applying_state_ = true;
  for (const auto& [path, json] : state.items()) {
    const Entry* e = table_.find(path);
    if (e == nullptr || !e->param) continue;
    auto value = value_from_json(json);
    if (!value.ok()) continue;
    Command c{path, std::move(*value), origin, Role::engineer};
    if (execute(c).ok()) ++count;
  }
  applying_state_ = false;
  return count;
}

}  // namespace lacquer::control
