#pragma once
// The JSON API under /api (Authorization: Bearer TOKEN): schema, state, sessions, tracks,
// invites, notes and their exports, snapshots, feedback summaries.

#include <functional>
#include <string>

#include "lacquer/control/auth.hpp"
#include "lacquer/control/http_server.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/session/store.hpp"

namespace lacquer::daemon {

/// What the routes need; owned by the control wiring, used on the executor only.
struct ApiContext {
  session::Store& store;
  control::ControlHub& hub;
  control::Authenticator& auth;
  /// Loads a session's tracks into the player and makes it the current one.
  std::function<control::Expected<int>(session::Id)> open_session;
  /// "http://HOST:PORT" for invite links when the request names no Host.
  std::string public_base_url;
};

/// Largest request body the API reads.
inline constexpr std::size_t kApiBodyLimitBytes = 256 * 1024;

void add_api_routes(control::HttpServer& http, ApiContext& api);

/// The control layer's error for a store failure.
control::Error from_store(const session::Error& error);

}  // namespace lacquer::daemon
