#include "subcommand.hpp"

#include <algorithm>

namespace lacquer::daemon {

namespace {
std::vector<Subcommand>& registry() {
  static std::vector<Subcommand> entries;
  return entries;
}
}  // namespace

bool register_subcommand(std::string name, std::string description, SubcommandSetup setup) {
  registry().push_back({std::move(name), std::move(description), std::move(setup)});
  return true;
}

std::vector<Subcommand> subcommands() {
  auto entries = registry();
  std::sort(entries.begin(), entries.end(),
            [](const Subcommand& a, const Subcommand& b) { return a.name < b.name; });
  return entries;
}

}  // namespace lacquer::daemon
