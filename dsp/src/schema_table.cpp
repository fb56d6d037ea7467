// The parameter table of this build: the rows each stage's binding declares, in the print
// path's order, then the monitor path's. Defaults make the chain transparent (every stage
// neutral) and the monitor path flat at unity; each row's smoothing_ms is its stage's own
// glide time.
#include "lacquer/dsp/chain.hpp"
#include "lacquer/dsp/monitor_binding.hpp"
#include "lacquer/dsp/param_schema.hpp"

namespace lacquer::dsp {

const Schema& Schema::instance() {
  static const Schema schema([] {
    SchemaBuilder rows;
    PrintPath::declare(rows);
    MonitorBinding::declare(rows);
    return rows.take();
  }());
  return schema;
}

}  // namespace lacquer::dsp
