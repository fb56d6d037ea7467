// `lacquer invite --session ID --name NAME [--days N]`: creates a client invited to one
// session and prints its link. The token travels in the URL fragment, which browsers never
// send. Invites expire (14 days unless --days says otherwise; 0: never).
#include <cstdio>
#include <memory>
#include <optional>

#include "lacquer/session/store.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {

namespace {

struct InviteOptions {
  std::int64_t session = 0;
  std::string name;
  std::string db;
  std::string url = "http://127.0.0.1:8080";
  double days = 14.0;
};

int invite(const InviteOptions& o) {
  auto store = session::Store::open(session::database_path(o.db));
  auto s = store->session(o.session);
  if (!s.ok()) {
    std::fprintf(stderr, "lacquer invite: %s\n", s.error().message.c_str());
    return 1;
  }
  std::optional<std::int64_t> expires;
  if (o.days > 0.0) {
    expires = session::now_unix_ms() + static_cast<std::int64_t>(o.days * 86'400'000.0);
  }
  auto invitation = store->create_client(o.name, session::Role::client, expires);
  if (!invitation.ok()) {
    std::fprintf(stderr, "lacquer invite: %s\n", invitation.error().message.c_str());
    return 1;
  }
  auto invited = store->invite(invitation->client.id, o.session);
  if (!invited.ok()) {
    std::fprintf(stderr, "lacquer invite: %s\n", invited.error().message.c_str());
    return 1;
  }
  std::string base = o.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::printf("%s/#token=%s\n", base.c_str(), invitation->token.c_str());
  std::fprintf(stderr, "client %lld; revoke with: lacquer revoke %lld\n",
               static_cast<long long>(invitation->client.id),
               static_cast<long long>(invitation->client.id));
  return 0;
}

const bool registered = register_subcommand(
    "invite", "Invite a client to a session and print the link (the token is shown once)",
    [](CLI::App& app) {
      auto o = std::make_shared<InviteOptions>();
      app.add_option("--session", o->session, "Session id")->required();
      app.add_option("--name", o->name, "The client's name, shown on their notes")->required();
      app.add_option("--db", o->db, "SQLite database file");
      app.add_option("--url", o->url, "Where the daemon is reached (http://HOST:PORT)");
      app.add_option("--days", o->days, "Days until the invite expires; 0: never (14)")
          ->check(CLI::Range(0.0, 3650.0));
      return [o] { return invite(*o); };
    });

}  // namespace

}  // namespace lacquer::daemon
