// lacquer: one executable, one subcommand per job (serve, render, analyze, ...).
#include <cstdio>
#include <exception>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "subcommand.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Lacquer: a mastering-studio engine for Linux", "lacquer"};
  app.require_subcommand(1);
  app.set_version_flag("--version", LACQUER_VERSION);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("lacquer: ") + e.what() + " (see --help)\n";
  });

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
    std::fprintf(stderr, "lacquer: %s\n", e.what());
    return 1;
  }
}
