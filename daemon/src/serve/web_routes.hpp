#pragma once

#include "serve/daemon_context.hpp"

namespace lacquer::daemon {

/// Serves the browser UI (files under the web root) at `/`; register after every other
/// route, since it answers any GET path not taken.
void add_web_routes(DaemonContext& ctx);

}  // namespace lacquer::daemon
