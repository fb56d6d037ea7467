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
