// lacquer: one executable, one subcommand per job (serve, render, analyze, ...).
#include <cstdio>
#include <exception>
#include <functional>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "subcommand.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Lacquer: a mastering-studio engine for Linux", "lacquer"};
  app.require_subcommand(1);
  app.set_version_flag("--version", LACQUER_VERSION);

  std::function<int()> run;
  for (const auto& sub : lacquer::daemon::subcommands()) {
    CLI::App* cli = app.add_subcommand(sub.name, sub.description);
    auto runner = std::make_shared<std::function<int()>>(sub.setup(*cli));
    cli->callback([&run, runner] { run = *runner; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
