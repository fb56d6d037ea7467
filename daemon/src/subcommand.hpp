#pragma once
// Subcommands register themselves from their own files, so adding one never edits main.

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace lacquer::daemon {

/// Called with the subcommand's own CLI::App: declares its options (bound to state the
/// closure owns) and returns the function that runs it and gives the exit code.
using SubcommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct Subcommand {
  std::string name;
  std::string description;
  SubcommandSetup setup;
};

/// Adds a subcommand; call from a namespace-scope initializer in the subcommand's file.
bool register_subcommand(std::string name, std::string description, SubcommandSetup setup);

/// Every registered subcommand, sorted by name.
std::vector<Subcommand> subcommands();

}  // namespace lacquer::daemon
