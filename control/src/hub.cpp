// The hub's dispatch: every command, whatever its transport, is checked, applied and fanned
// out here. Notes are in hub_notes.cpp, chain states and snapshot compare in hub_snapshots.cpp.
#include "lacquer/control/hub.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "hub_common.hpp"

namespace lacquer::control {

using namespace hub_common;

nlohmann::json value_to_json(const Value& value) {
  return std::visit(
      [](const auto& v) -> nlohmann::json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else {
          return v;
        }
      },
      value);
}

Expected<Value> value_from_json(const nlohmann::json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::null: return Value{};
    case nlohmann::json::value_t::boolean: return Value{json.get<bool>()};
    case nlohmann::json::value_t::number_integer: return Value{json.get<std::int64_t>()};
    case nlohmann::json::value_t::number_unsigned: {
      const auto u = json.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return Value{static_cast<double>(u)};
      }
      return Value{static_cast<std::int64_t>(u)};
    }
    case nlohmann::json::value_t::number_float: return Value{json.get<double>()};
    case nlohmann::json::value_t::string: return Value{json.get<std::string>()};
    default: break;
  }
  return make_error(ErrorCode::invalid_value, "a value is a number, a boolean or a string");
}

ControlHub::ControlHub(const CommandTable& table, dsp::ParamStore& params)
    : table_(table), params_(params), compare_entry_(table.find("/monitor/compare")) {}

void ControlHub::add_listener(HubListener* listener) { listeners_.push_back(listener); }

void ControlHub::remove_listener(HubListener* listener) { std::erase(listeners_, listener); }

void ControlHub::broadcast(const Change& change) {
  for (HubListener* l : listeners_) l->on_change(change);
}

void ControlHub::broadcast_note(const NoteRecord& note) {
  for (HubListener* l : listeners_) l->on_note(note);
}

Change ControlHub::param_change(const Entry& entry, double value) const {
  return Change{&entry, table_.wire_value(entry, value), table_.norm_of(entry, value)};
}

std::optional<TransportState> ControlHub::transport_state() const {
  if (transport_ == nullptr) return std::nullopt;
  return transport_->state();
}

Expected<Change> ControlHub::execute(const Command& command, const Principal* who) {
  auto target = table_.resolve(command.path);
  if (!target.ok()) {
    ++refused_;
    return target.error();
  }
  const Entry& e = *target->entry;
  const bool is_query = std::holds_alternative<std::monostate>(command.value) && e.readable &&
                        e.type != ValueType::trigger;
  Expected<Change> result = [&]() -> Expected<Change> {
    if (is_query) {
      if (!role_allows(command.role, e.read_role)) {
        if (command.role == Role::none) return forbidden(e, command.role);
        return make_error(ErrorCode::forbidden, "the " + std::string(to_string(command.role)) +
                                                    " role may not read " + e.path);
      }
      return query(*target);
    }
    if (!e.writable) return make_error(ErrorCode::forbidden, e.path + " is read only");
    if (!role_allows(command.role, e.write_role)) return forbidden(e, command.role);
    auto value = table_.validate(*target, command.value);
    if (!value.ok()) return value.error();
    const Principal fallback{command.role, 0, std::string(to_string(command.role)), {}};
    return apply(*target, *value, command, who != nullptr ? *who : fallback);
  }();
  if (result.ok()) {
    ++applied_;
  } else {
    ++refused_;
  }
  return result;
}

Expected<Change> ControlHub::query(const Target& target) {
  const Entry& e = *target.entry;
  if (e.param) return param_change(e, params_.get(*e.param));
  if (e.action == Action::note_current) return note_current_change();
  if (e.action == Action::reference) {
    if (references_ == nullptr) return make_error(ErrorCode::unavailable, "no reference tracks here");
    return Change{&e, Value{std::int64_t{references_->selected()}}, std::nullopt};
  }
  if (e.action == Action::calibration_status) {
    if (calibration_ == nullptr) return make_error(ErrorCode::unavailable, "no room calibration here");
    return Change{&e, Value{calibration_->status()}, std::nullopt};
  }
  if (transport_ == nullptr) return no_transport();
  if (auto change = transport_value(e, transport_->state())) return *change;
  return make_error(ErrorCode::bad_request, e.path + " cannot be queried");
}

std::optional<Change> ControlHub::transport_value(const Entry& e, const TransportState& s) const {
  switch (e.action) {
    case Action::locate:
    case Action::position: return Change{&e, Value{s.position_s}, std::nullopt};
    case Action::track: return Change{&e, Value{std::int64_t{s.track}}, std::nullopt};
    case Action::loop: return Change{&e, Value{s.loop}, std::nullopt};
    case Action::playing: return Change{&e, Value{s.playing}, std::nullopt};
    default: break;
  }
  return std::nullopt;
}

Expected<Change> ControlHub::apply(const Target& target, const Value& value,
                                   const Command& command, const Principal& who) {
  const Entry& e = *target.entry;
  if (e.param) {
    const double v = std::get<double>(value);
    if (&e == compare_entry_ && comparing_snapshots(v)) {
      auto started = start_snapshot_compare();
      if (!started.ok()) return started.error();
    }
    if (&e == compare_entry_ && static_cast<dsp::MonitorPath::Compare>(v) ==
                                    dsp::MonitorPath::Compare::reference &&
        (references_ == nullptr || !references_->ready())) {
      return make_error(ErrorCode::unavailable,
                        references_ != nullptr && references_->selected() > 0
                            ? "the reference track is still loading"
                            : "no reference track is selected: add one to the session and "
                              "select it with /reference/select");
    }
    params_.set(*e.param, v);
    Change change = param_change(e, v);
    broadcast(change);
    enable_eq_band_of(e);
    return change;
  }
  switch (e.action) {
    case Action::play:
    case Action::stop:
    case Action::locate:
    case Action::track:
    case Action::loop: return apply_transport(e, value);
    case Action::snapshot_store: {
      if (sessions_ == nullptr) return no_store();
      const auto& name = std::get<std::string>(value);
      auto stored = sessions_->store_snapshot(name, chain_state());
      if (!stored.ok()) return stored.error();
      // A snapshot being compared is heard as stored from now on.
      if (comparing_snapshots(params_.get(*compare_entry_->param)) && (name == "A" || name == "B")) {
        auto loaded = load_snapshot_into(name == "A" ? 0 : 1);
        if (!loaded.ok()) return loaded.error();
      }
      Change change{&e, value, std::nullopt};
      broadcast(change);
      return change;
    }
    case Action::snapshot_recall: {
      if (sessions_ == nullptr) return no_store();
      const auto& name = std::get<std::string>(value);
      auto state = sessions_->recall_snapshot(name);
      if (!state.ok()) return state.error();
      auto count = apply_state(*state, command.origin);
      if (!count.ok()) return count.error();
      Change change{&e, value, std::nullopt};
      broadcast(change);
      return change;
    }
    case Action::note_add: {
      if (sessions_ == nullptr) return no_store();
      if (transport_ == nullptr) return no_transport();
      auto place = sessions_->place(transport_->state());
      if (!place.ok()) return place.error();
      auto note = add_note(who, *place, std::get<std::string>(value));
      if (!note.ok()) return note.error();
      return Change{&e, Value{note->id}, std::nullopt};
    }
    case Action::note_next:
    case Action::note_prev:
      if (!std::get<bool>(value)) return Change{&e, value, std::nullopt};
      return walk_notes(e.action == Action::note_next ? 1 : -1);
    case Action::note_resolve:
      if (!std::get<bool>(value)) return Change{&e, value, std::nullopt};
      return resolve_current_note(who);
    case Action::reference: return select_reference(e, value);
    case Action::calibration_measure:
    case Action::calibration_verify: return start_calibration(e, value);
    case Action::meter_reset: {
      if (!std::get<bool>(value)) return Change{&e, value, std::nullopt};
      if (engine_ == nullptr) return make_error(ErrorCode::unavailable, "no engine is running");
      restart_meters();
      Change change{&e, value, std::nullopt};
      broadcast(change);
      return change;
    }
    default: break;
  }
  return make_error(ErrorCode::bad_request, e.path + " cannot be set");
}

Expected<Change> ControlHub::apply_transport(const Entry& e, const Value& value) {
  if (transport_ == nullptr) return no_transport();
  const TransportState s = transport_->state();
  switch (e.action) {
    case Action::play:
    case Action::stop: {
      // A button sends 1 on press and 0 on release; only the press acts.
      if (!std::get<bool>(value)) return Change{&e, value, std::nullopt};
      const bool play = e.action == Action::play;
      if (play) {
        transport_->play();
      } else {
        transport_->stop();
      }
      Change change{table_.find("/transport/playing"), Value{play}, std::nullopt};
      broadcast(change);
      return change;
    }
    case Action::locate: {
      const double v = std::clamp(std::get<double>(value), 0.0, std::max(0.0, s.duration_s));
      transport_->locate(v);
      restart_meters();
      Change change{&e, Value{v}, std::nullopt};
      broadcast(change);
      return change;
    }
    case Action::track: {
      if (s.track_count <= 0) return make_error(ErrorCode::unavailable, "no tracks are loaded");
      const auto v = static_cast<std::int32_t>(
          std::clamp(std::get<double>(value), 0.0, static_cast<double>(s.track_count - 1)));
      transport_->select(v);
      restart_meters();
      Change change{&e, Value{std::int64_t{v}}, std::nullopt};
      broadcast(change);
      return change;
    }
    case Action::loop: {
      const bool loop = std::get<double>(value) >= 0.5;
      transport_->set_loop(loop);
      Change change{&e, Value{loop}, std::nullopt};
      broadcast(change);
      return change;
    }
    default: break;
  }
  return make_error(ErrorCode::bad_request, e.path + " is not a transport command");
}

Expected<Change> ControlHub::select_reference(const Entry& e, const Value& value) {
  if (references_ == nullptr) return make_error(ErrorCode::unavailable, "no reference tracks here");
  auto selected = references_->select(static_cast<int>(std::get<double>(value)));
  if (!selected.ok()) return selected.error();
  // Monitors left on a reference that is gone go back to the chain.
  const double compare = params_.get(*compare_entry_->param);
  if (*selected == 0 &&
      static_cast<dsp::MonitorPath::Compare>(compare) == dsp::MonitorPath::Compare::reference) {
    const double chain = static_cast<double>(dsp::MonitorPath::Compare::chain);
    params_.set(*compare_entry_->param, chain);
    broadcast(param_change(*compare_entry_, chain));
  }
  Change change{&e, Value{std::int64_t{*selected}}, std::nullopt};
  broadcast(change);
  return change;
}

Expected<Change> ControlHub::start_calibration(const Entry& e, const Value& value) {
  if (calibration_ == nullptr) return make_error(ErrorCode::unavailable, "no room calibration here");
  auto started = calibration_->measure(std::get<std::string>(value),
                                       e.action == Action::calibration_verify);
  if (!started.ok()) return started.error();
  broadcast(Change{table_.find("/calibration/status"), Value{*started}, std::nullopt});
  return Change{&e, value, std::nullopt};
}

void ControlHub::enable_eq_band_of(const Entry& e) {
  // A surface that moves a disabled EQ band's gain, frequency or type means to hear it.
  constexpr std::string_view kEq = "/chain/eq/";
  const std::string_view path = e.path;
  if (applying_state_ || !path.starts_with(kEq)) return;  // a state sets `enabled` itself
  const auto slash = path.rfind('/');
  const std::string_view what = path.substr(slash + 1);
  if (what != "gain" && what != "freq" && what != "type") return;
  const Entry* enabled = table_.find(std::string(path.substr(0, slash)) + "/enabled");
  if (enabled == nullptr || !enabled->param || params_.get(*enabled->param) >= 0.5) return;
  params_.set(*enabled->param, 1.0);
  broadcast(param_change(*enabled, 1.0));
}

void ControlHub::announce(std::string_view path) {
  auto target = table_.resolve(path);
  if (!target.ok()) return;
  auto change = query(*target);
  if (change.ok()) broadcast(*change);
}

void ControlHub::restart_meters() {
  if (engine_ != nullptr) engine_->restart_meters();
}

std::vector<Change> ControlHub::current(Role role) const {
  std::vector<Change> out;
  const auto transport = transport_state();
  for (const Entry& e : table_.entries()) {
    if (!e.readable || e.type == ValueType::trigger || !role_allows(role, e.read_role)) continue;
    if (e.param) {
      out.push_back(param_change(e, params_.get(*e.param)));
      continue;
    }
    if (e.action == Action::note_current) {
      out.push_back(note_current_change());
      continue;
    }
    if (e.action == Action::calibration_status) {
      if (calibration_ != nullptr) out.push_back(Change{&e, Value{calibration_->status()}, std::nullopt});
      continue;
    }
    if (!transport) continue;
    if (auto change = transport_value(e, *transport)) out.push_back(std::move(*change));
  }
  return out;
}

nlohmann::json ControlHub::state(Role role) const {
  nlohmann::json out = nlohmann::json::object();
  for (const Change& c : current(role)) out[c.entry->path] = value_to_json(c.value);
  return out;
}

}  // namespace lacquer::control
