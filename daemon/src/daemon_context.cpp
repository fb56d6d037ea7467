#include "daemon_context.hpp"

#include "lacquer/dsp/param_schema.hpp"

namespace lacquer::daemon {

DaemonContext::DaemonContext(Config cfg)
    : config(std::move(cfg)), engine(dsp::Schema::instance()) {}

}  // namespace lacquer::daemon
