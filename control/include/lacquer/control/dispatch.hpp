#pragma once
// The dispatch table: every path a transport may read or write, built from the dsp schema
// plus the transport, snapshot and note commands. Each entry describes itself (type, range,
// unit, roles, description, an example), so the protocol document and /api/schema are
// generated from it, and values are validated and clamped against it.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lacquer/control/command.hpp"
#include "lacquer/dsp/param_schema.hpp"

namespace lacquer::control {

/// How an entry's value is typed.
enum class ValueType : std::uint8_t {
  real,     ///< a number in engineering units
  integer,  ///< a whole number
  boolean,  ///< 0/1, true/false
  choice,   ///< one of `choices`, by name (or by index)
  text,     ///< a string
  trigger,  ///< no value: the path is an action
};

/// "real", "integer", "boolean", "choice", "text", "trigger".
std::string_view to_string(ValueType type) noexcept;

/// What applying an entry does, for the entries that are not chain/monitor parameters.
enum class Action : std::uint8_t {
  parameter,        ///< a dsp parameter: ParamStore::set
  play,             ///< /transport/play
  stop,             ///< /transport/stop
  locate,           ///< /transport/locate
  track,            ///< /transport/track
  loop,             ///< /transport/loop
  playing,          ///< /transport/playing (read only)
  position,         ///< /transport/position (read only)
  snapshot_store,   ///< /snapshot/store
  snapshot_recall,  ///< /snapshot/recall
  note_add,         ///< /note/add
  note_next,        ///< /note/next
  note_prev,        ///< /note/prev
  note_resolve,     ///< /note/resolve
  note_current,     ///< /note/current (read only)
  meter_reset,      ///< /meter/reset
  reference,        ///< /reference/select
  calibration_measure,  ///< /calibration/measure
  calibration_verify,   ///< /calibration/verify
  calibration_status,   ///< /calibration/status (read only)
};

/// One path of the protocol.
struct Entry {
  std::string path;
  ValueType type = ValueType::real;
  std::string unit;
  double min_value = 0.0;
  double max_value = 0.0;
  double default_value = 0.0;
  dsp::Taper taper = dsp::Taper::linear;
  std::vector<std::string> choices;
  Role read_role = Role::engineer;   ///< needed to query the path
  Role write_role = Role::engineer;  ///< needed to set it; Role::none never matches: read only
  bool writable = true;
  bool readable = true;
  bool accepts_norm = false;  ///< PATH/norm maps 0..1 onto the range
  Action action = Action::parameter;
  std::optional<dsp::ParamId> param;  ///< for Action::parameter
  std::string description;
};

/// A path resolved against the table.
struct Target {
  const Entry* entry = nullptr;
  bool norm = false;  ///< the path ended in /norm
};

class CommandTable {
 public:
  /// Every parameter of `schema` plus the transport, snapshot and note entries.
  explicit CommandTable(const dsp::Schema& schema);

  /// The table of this build (over dsp::Schema::instance()).
  static const CommandTable& instance();

  const dsp::Schema& schema() const noexcept { return schema_; }
  std::span<const Entry> entries() const noexcept { return entries_; }

  /// The entry for an exact path, or nullptr.
  const Entry* find(std::string_view path) const;

  /// Resolves a path, accepting PATH/norm for entries that accept it.
  Expected<Target> resolve(std::string_view path) const;

  /// Checks the type of `value` against the entry (with the norm mapping when the
  /// target is a /norm path), rejects NaN/Inf and unknown choices, and returns the value
  /// the entry would apply: numbers clamped and rounded in engineering units, choices as
  /// their index. Text values are returned as given (length-checked).
  Expected<Value> validate(const Target& target, const Value& value) const;

  /// The wire form of an applied engineering value: booleans as bool, integers as
  /// int64, choices as their name, reals as double.
  Value wire_value(const Entry& entry, double value) const;

  /// The 0..1 fader position of an engineering value (entries accepting /norm only).
  std::optional<double> norm_of(const Entry& entry, double value) const;

  /// Longest text accepted (note text, snapshot names).
  static constexpr std::size_t kMaxTextBytes = 4096;

 private:
  void add(Entry entry);

  const dsp::Schema& schema_;
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

/// An example value for an entry, as a JSON literal ("2.5", "\"bell\"", "true").
std::string example_json(const Entry& entry);

}  // namespace lacquer::control
