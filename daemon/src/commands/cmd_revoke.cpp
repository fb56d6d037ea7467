// `lacquer revoke CLIENT_ID` / `lacquer revoke --list`: withdraws a client's access in the
// database. A running daemon closes that client's WebSocket and /listen stream within two
// seconds (it checks its connections against the store); the console's revoke button and
// POST /api/clients/ID/revoke do it at once.
#include <cstdio>
#include <memory>

#include "lacquer/session/store.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {

namespace {

struct RevokeOptions {
  std::int64_t client = 0;
  bool list = false;
  std::string db;
};

int list_clients(session::Store& store) {
  auto clients = store.clients();
  if (!clients.ok()) {
    std::fprintf(stderr, "lacquer revoke: %s\n", clients.error().message.c_str());
    return 1;
  }
  const std::int64_t now = session::now_unix_ms();
  for (const auto& c : *clients) {
    std::string state = "active";
    if (c.revoked) {
      state = "revoked";
    } else if (c.expires_unix_ms && *c.expires_unix_ms <= now) {
      state = "expired";
    } else if (c.expires_unix_ms) {
      char left[48];
      std::snprintf(left, sizeof left, "expires in %.1f days",
                    static_cast<double>(*c.expires_unix_ms - now) / 86'400'000.0);
      state = left;
    }
    std::string sessions;
    for (const auto id : c.sessions) sessions += (sessions.empty() ? "" : ",") + std::to_string(id);
    std::printf("%lld\t%s\t%s\t%s\tsessions %s\n", static_cast<long long>(c.id), c.name.c_str(),
                c.role == session::Role::engineer ? "engineer" : "client", state.c_str(),
                sessions.empty() ? "-" : sessions.c_str());
  }
  return 0;
}

int revoke(const RevokeOptions& o) {
  auto store = session::Store::open(session::database_path(o.db));
  if (o.list) return list_clients(*store);
  if (o.client <= 0) {
    std::fprintf(stderr, "lacquer revoke: a CLIENT_ID is needed (see --list)\n");
    return 2;
  }
  auto revoked = store->revoke_client(o.client);
  if (!revoked.ok()) {
    std::fprintf(stderr, "lacquer revoke: %s\n", revoked.error().message.c_str());
    return 1;
  }
  std::printf("client %lld revoked\n", static_cast<long long>(o.client));
  return 0;
}

const bool registered = register_subcommand(
    "revoke", "Withdraw a client's access (closes its connections on a running daemon)",
    [](CLI::App& app) {
      auto o = std::make_shared<RevokeOptions>();
      app.add_option("CLIENT_ID", o->client, "The client's id (lacquer revoke --list)");
      app.add_flag("--list", o->list, "List clients: id, name, role, state, sessions");
      app.add_option("--db", o->db, "SQLite database file");
      return [o] { return revoke(*o); };
    });

}  // namespace

}  // namespace lacquer::daemon
