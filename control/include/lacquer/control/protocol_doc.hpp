#pragma once
// The path reference of docs/protocol.md, generated from the dispatch table and the meter
// table so the document cannot drift from the code (`lacquer ctl --dump-protocol`).

#include <string>

#include "lacquer/control/dispatch.hpp"

namespace lacquer::control {

/// Markdown: one table row per path (type, unit, range, roles, OSC and JSON examples,
/// description), then the meter paths.
std::string protocol_paths_markdown(const CommandTable& table);

}  // namespace lacquer::control
