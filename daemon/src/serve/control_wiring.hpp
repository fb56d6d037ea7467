#pragma once
// Wires the control layer into `lacquer serve`: the session store, the hub with its
// transport and session ports, OSC, the /ws endpoint, the /api routes and the meter poller.

#include "serve/daemon_context.hpp"

namespace lacquer::daemon {

/// Call after ctx.http is created and before it starts. Opens the database, settles the
/// engineer token (generated and printed once when none is configured or stored), binds
/// OSC, registers routes, shutdown hooks (ctx.on_stop) and metrics (ctx.metrics). Throws
/// std::runtime_error on a database or port problem.
void attach_control(DaemonContext& ctx);

}  // namespace lacquer::daemon
