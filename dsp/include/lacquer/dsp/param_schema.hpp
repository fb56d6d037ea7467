#pragma once
// The single table of every controllable parameter of the chain and the monitor path.
// Control validates against it, snapshots store values by its paths, the UI draws from it.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lacquer::dsp {

/// How a value is typed on the wire. `choice` values travel as strings and are stored as
/// the index into `choices`; `boolean` travels as 0/1.
enum class ParamType { real, integer, boolean, choice };

/// How `PATH/norm` (0..1 from a fader) maps onto the range.
enum class Taper { linear, logarithmic };

using ParamId = std::uint32_t;

/// One parameter: path, type, unit, range, default, smoothing and a description.
struct ParamSpec {
  std::string path;  ///< e.g. "/chain/eq/3/gain"
  ParamType type = ParamType::real;
  std::string unit;  ///< "dB", "Hz", "ms", "ratio", "%", "" ...
  double min_value = 0.0;
  double max_value = 1.0;
  double default_value = 0.0;
  double smoothing_ms = 0.0;  ///< time the audio thread takes to glide to a new value
  Taper taper = Taper::linear;
  std::vector<std::string> choices;  ///< names for ParamType::choice
  std::string description;
};

/// smoothing_ms of a parameter its stage takes at once: time constants and switches that only
/// reshape an envelope or take effect from the next sample.
inline constexpr double kAtOnce = 0.0;

/// A parameter's name under its stage's path, declared once per stage as a constant of the
/// stage's binding (e.g. InputBinding::kTrim). The stage's schema rows and its reads take the
/// same constant, so a misspelt name does not compile and rows and reads cannot disagree.
struct ParamName {
  explicit constexpr ParamName(std::string_view name) : text(name) {}
  std::string_view text;
};

/// Builds the table. Each binding's declare() adds its stage's rows, in its stage's order,
/// under the paths it sets with under().
class SchemaBuilder {
 public:
  /// Rows that follow are at `prefix` + name, e.g. "/chain/eq/3/".
  void under(std::string prefix) { prefix_ = std::move(prefix); }

  void real(ParamName name, std::string unit, double lo, double hi, double def,
            double smoothing_ms, std::string description, Taper taper = Taper::linear);
  /// A frequency: Hz, logarithmic taper.
  void hz(ParamName name, double lo, double hi, double def, double smoothing_ms,
          std::string description);
  void db(ParamName name, double lo, double hi, double def, double smoothing_ms,
          std::string description);
  /// A time constant (ms, logarithmic taper): it shapes an envelope, so it applies at once.
  void ms(ParamName name, double lo, double hi, double def, std::string description);
  void integer(ParamName name, double lo, double hi, double def, double smoothing_ms,
               std::string description);
  void boolean(ParamName name, bool def, double smoothing_ms, std::string description);
  void choice(ParamName name, std::vector<std::string> choices, std::size_t def,
              double smoothing_ms, std::string description);
  /// A stage's bypass switch (off by default), crossfaded in `fade_ms`.
  void bypass(ParamName name, double fade_ms);

  std::vector<ParamSpec> take() { return std::move(table_); }

 private:
  std::string path(ParamName name) const { return prefix_ + std::string(name.text); }

  std::string prefix_;
  std::vector<ParamSpec> table_;
};

/// The parameter table. Built once; ids are indices and stable for a build.
class Schema {
 public:
  /// The schema of this build of Lacquer.
  static const Schema& instance();

  explicit Schema(std::vector<ParamSpec> params);

  std::span<const ParamSpec> params() const noexcept { return params_; }
  std::size_t size() const noexcept { return params_.size(); }
  const ParamSpec& spec(ParamId id) const { return params_.at(id); }

  /// The id for a path, or nothing when the path is not a parameter.
  std::optional<ParamId> find(std::string_view path) const;

  /// Same as find() but throws std::out_of_range naming the path; for wiring code.
  ParamId id(std::string_view path) const;

  /// Clamps to the range and rounds integer, boolean and choice values.
  double clamp(ParamId id, double value) const;

  /// Index of a choice by name, or nothing.
  std::optional<double> choice_value(ParamId id, std::string_view name) const;

  /// 0..1 fader position to engineering value and back, following the taper.
  double from_norm(ParamId id, double norm) const;
  double to_norm(ParamId id, double value) const;

 private:
  std::vector<ParamSpec> params_;
  std::unordered_map<std::string, ParamId> index_;
};

}  // namespace lacquer::dsp
