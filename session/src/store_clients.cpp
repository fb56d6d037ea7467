// Clients: tokens stored as their SHA-256, invitations to sessions, revocation, expiry.
#include <algorithm>

#include "lacquer/session/sha256.hpp"
#include "store_impl.hpp"

namespace lacquer::session {

namespace {

using detail::invalid;
using detail::not_found;

constexpr std::string_view kColumns = "id, name, role, revoked, expires_unix_ms, created_unix_ms";

Client read_client(const sqlite::Statement& st) {
  Client c;
  c.id = st.int64(0);
  c.name = st.text(1);
  c.role = parse_role(st.text(2)).value_or(Role::client);
  c.revoked = st.integer(3) != 0;
  c.expires_unix_ms = st.opt_int64(4);
  c.created_unix_ms = st.int64(5);
  return c;
}

Result<Client> with_sessions(const sqlite::Connection& db, Result<Client> c) {
  if (!c) return c;
  auto ids = detail::query_all<Id>(
      db, "SELECT session_id FROM client_sessions WHERE client_id = ? ORDER BY session_id",
      "read client sessions", [](const sqlite::Statement& st) { return st.int64(0); }, c->id);
  if (!ids) return ids.error();
  c->sessions = std::move(*ids);
  return c;
}

}  // namespace

Result<Client> Store::add_client_with_token(std::string_view name, Role role,
                                            std::string_view token,
                                            std::optional<std::int64_t> expires_unix_ms) {
  if (name.empty()) return invalid("a client needs a name");
  // Short tokens can be guessed; generated ones have 43 characters.
  if (token.size() < 16) return invalid("a token must have at least 16 characters");
  const auto now = now_unix_ms();
  sqlite::FullSync full(impl_->db);
  auto r = impl_->db.run(
      "INSERT INTO clients (name, role, token_sha256, expires_unix_ms, created_unix_ms) "
      "VALUES (?, ?, ?, ?, ?)",
      "add client", name, to_string(role), sha256_hex(token), expires_unix_ms, now);
  if (!r) return r.error();
  return Client{
      impl_->db.last_insert_rowid(), std::string(name), role, false, expires_unix_ms, now, {}};
}

Result<Invitation> Store::create_client(std::string_view name, Role role,
                                        std::optional<std::int64_t> expires_unix_ms) {
  std::string token = generate_token();
  auto c = add_client_with_token(name, role, token, expires_unix_ms);
  if (!c) return c.error();
  return Invitation{std::move(*c), std::move(token)};
}

Result<Client> Store::client(Id id) const {
  return with_sessions(
      impl_->db, detail::query_one<Client>(
                     impl_->db, "SELECT " + std::string(kColumns) + " FROM clients WHERE id = ?",
                     "read client", not_found("client", id), read_client, id));
}

Result<std::vector<Client>> Store::clients() const {
  auto list = detail::query_all<Client>(
      impl_->db, "SELECT " + std::string(kColumns) + " FROM clients ORDER BY id", "list clients",
      read_client);
  if (!list) return list;
  for (auto& c : *list) {
    auto full = with_sessions(impl_->db, std::move(c));
    if (!full) return full.error();
    c = std::move(*full);
  }
  return list;
}

Result<void> Store::invite(Id client_id, Id session_id) {
  if (auto c = client(client_id); !c) return c.error();
  if (auto s = session(session_id); !s) return s.error();
  sqlite::FullSync full(impl_->db);
  return impl_->db.run(
      "INSERT OR IGNORE INTO client_sessions (client_id, session_id) VALUES (?, ?)",
      "invite client", client_id, session_id);
}

Result<void> Store::revoke_client(Id client_id) {
  sqlite::FullSync full(impl_->db);
  auto r = impl_->db.run("UPDATE clients SET revoked = 1 WHERE id = ?", "revoke client", client_id);
  if (!r) return r;
  if (impl_->db.changes() == 0) return not_found("client", client_id);
  return {};
}

Result<Client> Store::authenticate(std::string_view token) const {
  return authenticate(token, now_unix_ms());
}

Result<Client> Store::authenticate(std::string_view token, std::int64_t now_unix_ms) const {
  // The lookup is by digest, so timing reveals nothing about the token's characters.
  auto c = with_sessions(
      impl_->db,
      detail::query_one<Client>(
          impl_->db, "SELECT " + std::string(kColumns) + " FROM clients WHERE token_sha256 = ?",
          "authenticate", Error{ErrorCode::unauthorized, "unknown token"}, read_client,
          sha256_hex(token)));
  if (!c) return c;
  if (c->revoked) return Error{ErrorCode::unauthorized, "token of " + c->name + " was revoked"};
  if (c->expires_unix_ms && *c->expires_unix_ms <= now_unix_ms) {
    return Error{ErrorCode::unauthorized, "token of " + c->name + " has expired"};
  }
  return c;
}

bool Store::may_access(const Client& c, Id session_id) noexcept {
  if (c.revoked) return false;
  if (c.role == Role::engineer) return true;
  return std::find(c.sessions.begin(), c.sessions.end(), session_id) != c.sessions.end();
}

}  // namespace lacquer::session
