#include "lacquer/dsp/param_schema.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace lacquer::dsp {

Schema::Schema(std::vector<ParamSpec> params) : params_(std::move(params)) {
  for (ParamId id = 0; id < params_.size(); ++id) {
    if (!index_.emplace(params_[id].path, id).second) {
      throw std::logic_error("duplicate parameter path " + params_[id].path);
    }
  }
}

void SchemaBuilder::real(ParamName name, std::string unit, double lo, double hi, double def,
                         double smoothing_ms, std::string description, Taper taper) {
  table_.push_back({.path = path(name),
                    .type = ParamType::real,
                    .unit = std::move(unit),
                    .min_value = lo,
                    .max_value = hi,
                    .default_value = def,
                    .smoothing_ms = smoothing_ms,
                    .taper = taper,
                    .choices = {},
                    .description = std::move(description)});
}

void SchemaBuilder::hz(ParamName name, double lo, double hi, double def, double smoothing_ms,
                       std::string description) {
  real(name, "Hz", lo, hi, def, smoothing_ms, std::move(description), Taper::logarithmic);
}

void SchemaBuilder::db(ParamName name, double lo, double hi, double def, double smoothing_ms,
                       std::string description) {
  real(name, "dB", lo, hi, def, smoothing_ms, std::move(description));
}

void SchemaBuilder::ms(ParamName name, double lo, double hi, double def,
                       std::string description) {
  real(name, "ms", lo, hi, def, kAtOnce, std::move(description), Taper::logarithmic);
}

void SchemaBuilder::integer(ParamName name, double lo, double hi, double def,
                            double smoothing_ms, std::string description) {
  table_.push_back({.path = path(name),
                    .type = ParamType::integer,
                    .unit = "",
                    .min_value = lo,
                    .max_value = hi,
                    .default_value = def,
                    .smoothing_ms = smoothing_ms,
                    .choices = {},
                    .description = std::move(description)});
}

void SchemaBuilder::boolean(ParamName name, bool def, double smoothing_ms,
                            std::string description) {
  table_.push_back({.path = path(name),
                    .type = ParamType::boolean,
                    .unit = "",
                    .default_value = def ? 1.0 : 0.0,
                    .smoothing_ms = smoothing_ms,
                    .choices = {},
                    .description = std::move(description)});
}

void SchemaBuilder::choice(ParamName name, std::vector<std::string> choices, std::size_t def,
                           double smoothing_ms, std::string description) {
  const double last = static_cast<double>(choices.size() - 1);
  table_.push_back({.path = path(name),
                    .type = ParamType::choice,
                    .unit = "",
                    .max_value = last,
                    .default_value = static_cast<double>(def),
                    .smoothing_ms = smoothing_ms,
                    .choices = std::move(choices),
                    .description = std::move(description)});
}

void SchemaBuilder::bypass(ParamName name, double fade_ms) {
  boolean(name, false, fade_ms, "Bypass the stage (crossfaded, latency kept)");
}

std::optional<ParamId> Schema::find(std::string_view path) const {
  const auto it = index_.find(std::string(path));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

ParamId Schema::id(std::string_view path) const {
  if (const auto found = find(path)) return *found;
  throw std::out_of_range("no parameter " + std::string(path));
}

double Schema::clamp(ParamId id, double value) const {
  const ParamSpec& p = spec(id);
  double v = std::clamp(value, p.min_value, p.max_value);
  if (p.type != ParamType::real) v = std::round(v);
  return v;
}

std::optional<double> Schema::choice_value(ParamId id, std::string_view name) const {
  const auto& choices = spec(id).choices;
  const auto it = std::find(choices.begin(), choices.end(), name);
  if (it == choices.end()) return std::nullopt;
  return static_cast<double>(it - choices.begin());
}

double Schema::from_norm(ParamId id, double norm) const {
  const ParamSpec& p = spec(id);
  norm = std::clamp(norm, 0.0, 1.0);
  if (p.taper == Taper::logarithmic && p.min_value > 0.0) {
    return clamp(id, p.min_value * std::pow(p.max_value / p.min_value, norm));
  }
  return clamp(id, p.min_value + norm * (p.max_value - p.min_value));
}

double Schema::to_norm(ParamId id, double value) const {
  const ParamSpec& p = spec(id);
  if (p.max_value <= p.min_value) return 0.0;
  value = std::clamp(value, p.min_value, p.max_value);
  if (p.taper == Taper::logarithmic && p.min_value > 0.0) {
    return std::log(value / p.min_value) / std::log(p.max_value / p.min_value);
  }
  return (value - p.min_value) / (p.max_value - p.min_value);
}

}  // namespace lacquer::dsp
