#include "lacquer/control/dispatch.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace lacquer::control {

namespace {

constexpr std::string_view kNormSuffix = "/norm";

ValueType value_type_of(dsp::ParamType type) {
  switch (type) {
    case dsp::ParamType::real: return ValueType::real;
    case dsp::ParamType::integer: return ValueType::integer;
    case dsp::ParamType::boolean: return ValueType::boolean;
    case dsp::ParamType::choice: return ValueType::choice;
  }
  return ValueType::real;
}

/// A number from any numeric wire value; nothing for strings and "no value".
std::optional<double> as_number(const Value& value) {
  if (const auto* b = std::get_if<bool>(&value)) return *b ? 1.0 : 0.0;
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&value)) return *d;
  return std::nullopt;
}

Entry trigger(std::string path, Action action, Role write_role, std::string description) {
  Entry e;
  e.path = std::move(path);
  e.type = ValueType::trigger;
  e.readable = false;
  e.write_role = write_role;
  e.action = action;
  e.description = std::move(description);
  return e;
}

// An engineer's action that names what it acts on (SET/SPEAKER): one text argument, so a
// surface's button can carry it.
Entry text_trigger(std::string path, Action action, std::string description) {
  Entry e = trigger(std::move(path), action, Role::engineer, std::move(description));
  e.type = ValueType::text;
  return e;
}

Entry status(std::string path, ValueType type, std::string unit, Action action,
             std::string description) {
  Entry e;
  e.path = std::move(path);
  e.type = type;
  e.unit = std::move(unit);
  e.writable = false;
  e.write_role = Role::none;
  e.read_role = Role::client;
  e.action = action;
  e.max_value = type == ValueType::boolean ? 1.0 : 0.0;
  e.description = std::move(description);
  return e;
}

}  // namespace

std::string_view to_string(ValueType type) noexcept {
  switch (type) {
    case ValueType::real: return "real";
    case ValueType::integer: return "integer";
    case ValueType::boolean: return "boolean";
    case ValueType::choice: return "choice";
    case ValueType::text: return "text";
    case ValueType::trigger: return "trigger";
  }
  return "real";
}

CommandTable::CommandTable(const dsp::Schema& schema) : schema_(schema) {
  for (dsp::ParamId id = 0; id < schema.size(); ++id) {
    const dsp::ParamSpec& spec = schema.spec(id);
    Entry e;
    e.path = spec.path;
    e.type = value_type_of(spec.type);
    e.unit = spec.unit;
    e.min_value = spec.min_value;
    e.max_value = spec.max_value;
    e.default_value = spec.default_value;
    e.taper = spec.taper;
    e.choices = spec.choices;
    e.accepts_norm = true;
    e.param = id;
    e.description = spec.description;
    add(std::move(e));
  }

  add(trigger("/transport/play", Action::play, Role::engineer,
              "Start playback (an argument of 0, a button release, is ignored)"));
  add(trigger("/transport/stop", Action::stop, Role::engineer,
              "Stop playback (an argument of 0 is ignored)"));
  Entry locate;
  locate.path = "/transport/locate";
  locate.unit = "s";
  locate.max_value = 24.0 * 3600.0;
  locate.read_role = Role::client;
  locate.action = Action::locate;
  locate.description =
      "Move the play position within the current track (clamped to its length); a query "
      "answers the position";
  add(std::move(locate));
  Entry track;
  track.path = "/transport/track";
  track.type = ValueType::integer;
  track.max_value = 9999.0;
  track.read_role = Role::client;
  track.action = Action::track;
  track.description = "Select a track by its 0-based index (clamped to the playlist) and go "
                      "to its start";
  add(std::move(track));
  Entry loop;
  loop.path = "/transport/loop";
  loop.type = ValueType::boolean;
  loop.max_value = 1.0;
  loop.default_value = 1.0;
  loop.read_role = Role::client;
  loop.action = Action::loop;
  loop.description = "Loop the current track";
  add(std::move(loop));
  add(status("/transport/playing", ValueType::boolean, "", Action::playing,
             "Whether the transport plays (read only; sent on every start and stop)"));
  add(status("/transport/position", ValueType::real, "s", Action::position,
             "Play position within the current track (read only; pushed to subscribers)"));

  Entry store;
  store.path = "/snapshot/store";
  store.type = ValueType::text;
  store.readable = false;
  store.action = Action::snapshot_store;
  store.description = "Store the chain's state as a named snapshot of the current track "
                      "(e.g. A or B)";
  add(std::move(store));
  Entry recall = store;
  recall.path = "/snapshot/recall";
  recall.action = Action::snapshot_recall;
  recall.description = "Recall the newest snapshot of that name of the current track; every "
                       "changed path is echoed";
  add(std::move(recall));

  Entry note;
  note.path = "/note/add";
  note.type = ValueType::text;
  note.readable = false;
  note.write_role = Role::client;
  note.action = Action::note_add;
  note.description = "Leave a note at the current transport position of the current session";
  add(std::move(note));
  add(trigger("/note/next", Action::note_next, Role::engineer,
              "Go to the next note of the session (locates the transport there)"));
  add(trigger("/note/prev", Action::note_prev, Role::engineer,
              "Go to the previous note of the session (locates the transport there)"));
  add(trigger("/note/resolve", Action::note_resolve, Role::engineer,
              "Mark the current note (the one /note/next or /note/prev went to) resolved"));
  add(trigger("/meter/reset", Action::meter_reset, Role::engineer,
              "Start a new measurement on the input and output meters: integrated loudness, "
              "LRA, true-peak and other maxima (also done on every locate and track change)"));
  Entry reference;
  reference.path = "/reference/select";
  reference.type = ValueType::integer;
  reference.max_value = 99.0;
  reference.read_role = Role::client;
  reference.action = Action::reference;
  reference.description =
      "Select the open session's reference track by its 1-based position (0: none); "
      "/monitor/compare reference plays it";
  add(std::move(reference));
  add(text_trigger("/calibration/measure", Action::calibration_measure,
                   "Measure a speaker of the room with a sine sweep, SET/SPEAKER (e.g. "
                   "main/left); the result is stored and the set aligned and corrected. "
                   "Progress on /calibration/status"));
  add(text_trigger("/calibration/verify", Action::calibration_verify,
                   "Measure a speaker again through its correction (SET/SPEAKER): the response "
                   "after correction, stored beside the measurement; nothing is applied"));
  Entry calibration = status("/calibration/status", ValueType::text, "", Action::calibration_status,
                             "The room measurement: idle, measuring or verifying SET/SPEAKER, "
                             "measured or verified SET/SPEAKER, or failed SET/SPEAKER: why (read "
                             "only; sent on every change)");
  calibration.read_role = Role::engineer;
  add(std::move(calibration));
  Entry current = status("/note/current", ValueType::text, "", Action::note_current,
                         "Text of the note the surface walked to (read only; sent on every "
                         "/note/next, /note/prev and /note/resolve)");
  current.read_role = Role::engineer;
  add(std::move(current));
}

const CommandTable& CommandTable::instance() {
  static const CommandTable table(dsp::Schema::instance());
  return table;
}

void CommandTable::add(Entry entry) {
  const std::size_t at = entries_.size();
  if (!index_.emplace(entry.path, at).second) {
    throw std::logic_error("duplicate command path " + entry.path);
  }
  entries_.push_back(std::move(entry));
}

const Entry* CommandTable::find(std::string_view path) const {
  const auto it = index_.find(std::string(path));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

Expected<Target> CommandTable::resolve(std::string_view path) const {
  if (const Entry* e = find(path)) return Target{e, false};
  if (path.size() > kNormSuffix.size() && path.ends_with(kNormSuffix)) {
    const Entry* e = find(path.substr(0, path.size() - kNormSuffix.size()));
    if (e != nullptr && e->accepts_norm) return Target{e, true};
  }
  std::string shown(path.substr(0, 200));
  return make_error(ErrorCode::unknown_path, "no such path: " + shown);
}

Expected<Value> CommandTable::validate(const Target& target, const Value& value) const {
  const Entry& e = *target.entry;
  if (e.type == ValueType::trigger) {
    if (std::holds_alternative<std::monostate>(value)) return Value{true};
    const auto number = as_number(value);
    if (!number || !std::isfinite(*number)) {
      return make_error(ErrorCode::invalid_value, e.path + " takes no value or a number");
    }
    return Value{*number != 0.0};
  }
  if (e.type == ValueType::text) {
    const auto* text = std::get_if<std::string>(&value);
    if (text == nullptr) return make_error(ErrorCode::invalid_value, e.path + " takes a string");
    if (text->empty() || text->size() > kMaxTextBytes) {
      return make_error(ErrorCode::invalid_value,
                        e.path + " takes 1 to " + std::to_string(kMaxTextBytes) + " bytes");
    }
    return value;
  }

  double number = 0.0;
  if (const auto* name = std::get_if<std::string>(&value)) {
    if (e.type != ValueType::choice || target.norm) {
      return make_error(ErrorCode::invalid_value, e.path + " takes a number");
    }
    bool found = false;
    for (std::size_t i = 0; i < e.choices.size(); ++i) {
      if (e.choices[i] == *name) {
        number = static_cast<double>(i);
        found = true;
        break;
      }
    }
    if (!found) {
      std::string list;
      for (const auto& c : e.choices) list += (list.empty() ? "" : "|") + c;
      return make_error(ErrorCode::invalid_value,
                        e.path + " takes one of " + list + ", not '" + name->substr(0, 64) + "'");
    }
  } else if (const auto n = as_number(value)) {
    number = *n;
  } else {
    return make_error(ErrorCode::invalid_value, e.path + " needs a value");
  }
  if (!std::isfinite(number)) {
    return make_error(ErrorCode::invalid_value, e.path + " refuses NaN and infinity");
  }

  if (e.param) {
    const double applied = target.norm ? schema_.from_norm(*e.param, number)
                                       : schema_.clamp(*e.param, number);
    return Value{applied};
  }
  double applied = std::clamp(number, e.min_value, e.max_value);
  if (e.type != ValueType::real) applied = std::round(applied);
  return Value{applied};
}

Value CommandTable::wire_value(const Entry& entry, double value) const {
  switch (entry.type) {
    case ValueType::boolean: return Value{value >= 0.5};
    case ValueType::integer: return Value{static_cast<std::int64_t>(std::llround(value))};
    case ValueType::choice: {
      const auto index = static_cast<std::size_t>(std::max(0.0, std::round(value)));
      if (index < entry.choices.size()) return Value{entry.choices[index]};
      return Value{static_cast<std::int64_t>(index)};
    }
    case ValueType::real:
    case ValueType::text:
    case ValueType::trigger: break;
  }
  return Value{value};
}

std::optional<double> CommandTable::norm_of(const Entry& entry, double value) const {
  if (!entry.accepts_norm || !entry.param) return std::nullopt;
  return schema_.to_norm(*entry.param, value);
}

std::string example_json(const Entry& entry) {
  switch (entry.type) {
    case ValueType::boolean: return entry.default_value >= 0.5 ? "false" : "true";
    case ValueType::integer: return std::to_string(static_cast<long long>(
                                 std::min(entry.max_value, entry.min_value + 1.0)));
    case ValueType::choice:
      return nlohmann::json(entry.choices.empty() ? std::string()
                                                  : entry.choices[entry.choices.size() > 1 ? 1 : 0])
          .dump();
    case ValueType::text:
      if (entry.action == Action::note_add) return R"("kick too loud at the drop")";
      if (entry.action == Action::calibration_measure || entry.action == Action::calibration_verify) {
        return R"("main/left")";
      }
      return R"("A")";
    case ValueType::trigger: return "null";
    case ValueType::real: break;
  }
  // A value a quarter of the way up the range, rounded for reading: shows the unit's scale.
  const double span = entry.max_value - entry.min_value;
  double v = entry.min_value + 0.25 * span;
  if (entry.taper == dsp::Taper::logarithmic && entry.min_value > 0.0) {
    v = entry.min_value * std::pow(entry.max_value / entry.min_value, 0.5);
  }
  const double rounded = std::abs(v) >= 10.0 ? std::round(v) : std::round(v * 10.0) / 10.0;
  return nlohmann::json(rounded).dump();
}

}  // namespace lacquer::control
