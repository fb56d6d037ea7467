// The parameter table of this build. Defaults make the chain transparent.
#include "lacquer/dsp/param_schema.hpp"

namespace lacquer::dsp {

namespace {

std::vector<ParamSpec> build_table() {
  std::vector<ParamSpec> t;
  t.push_back({.path = "/chain/input/trim",
               .unit = "dB",
               .min_value = -24.0,
               .max_value = 24.0,
               .default_value = 0.0,
               .smoothing_ms = 20.0,
               .description = "Gain before the chain"});
  t.push_back({.path = "/chain/output/gain",
               .unit = "dB",
               .min_value = -24.0,
               .max_value = 12.0,
               .default_value = 0.0,
               .smoothing_ms = 20.0,
               .description = "Gain at the end of the chain, before word-length reduction"});
  return t;
}

}  // namespace

const Schema& Schema::instance() {
  static const Schema schema(build_table());
  return schema;
}

}  // namespace lacquer::dsp
