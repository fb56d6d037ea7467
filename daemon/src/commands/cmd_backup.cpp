// lacquer backup DEST [--db FILE]
// A consistent copy of the database while the daemon keeps writing (SQLite's online
// backup on a connection of its own). DEST may be a folder: the copy is then named
// lacquer-YYYYMMDDTHHMMSSZ.db inside it. Prints the file written.
#include <cstdio>
#include <memory>
#include <string>

#include "lacquer/session/store.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {
namespace {

struct BackupOptions {
  std::string dest;
  std::string db;
};

std::function<int()> setup_backup(CLI::App& app) {
  auto opt = std::make_shared<BackupOptions>();
  app.add_option("DEST", opt->dest, "File (or folder) to write the copy to")->required();
  app.add_option("--db", opt->db,
                 "Database (default: $LACQUER_DB, $XDG_STATE_HOME/lacquer/lacquer.db or "
                 "~/.local/state/lacquer/lacquer.db)");
  return [opt]() -> int {
    const auto db = session::database_path(opt->db);
    const auto r = session::backup_database(db, opt->dest);
    if (!r) {
      // The message starts with "backup": "lacquer backup: cannot create ...".
      std::fprintf(stderr, "lacquer %s\n", r.error().message.c_str());
      return 1;
    }
    std::fprintf(stderr, "%s: %lld pages, %lld bytes\n", r->path.c_str(),
                 static_cast<long long>(r->pages), static_cast<long long>(r->bytes));
    std::printf("%s\n", r->path.c_str());
    return 0;
  };
}

const bool registered =
    register_subcommand("backup", "Copy the database while the daemon runs", setup_backup);

}  // namespace
}  // namespace lacquer::daemon
