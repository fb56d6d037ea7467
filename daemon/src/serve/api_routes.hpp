#pragma once
// The JSON API under /api (Authorization: Bearer TOKEN): schema, state, sessions, tracks,
// invites and clients (revocable), notes and their exports, snapshots, feedback summaries.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lacquer/control/auth.hpp"
#include "lacquer/control/http_server.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/session/store.hpp"
#include "serve/reference_control.hpp"
#include "serve/track_analysis.hpp"
#include "serve/track_sources.hpp"

namespace lacquer::daemon {

class Deliveries;

/// What the routes need; owned by the control wiring, used on the executor only.
struct ApiContext {
  session::Store& store;
  control::ControlHub& hub;
  control::Authenticator& auth;
  /// Loads a session's tracks into the player and makes it the current one.
  std::function<control::Expected<int>(session::Id)> open_session;
  /// "http(s)://HOST:PORT" for invite links when the request names no Host; its scheme
  /// is the links' scheme.
  std::string public_base_url;
  /// Checks and hashes track files (POST /api/sessions/ID/tracks).
  TrackSources* track_sources = nullptr;
  /// Analyses added tracks (GET /api/sessions/ID/tracks/N/analysis).
  TrackAnalysis* analysis = nullptr;
  /// Runs a function on the control executor (from the track worker).
  std::function<void(std::function<void()>)> on_executor;
  /// How long an invite lasts (0: no expiry).
  std::chrono::milliseconds invite_lifetime{0};
  /// Called after a client was revoked: closes its connections.
  std::function<void()> clients_changed;
  /// The open session's reference tracks (GET/POST /api/sessions/ID/references).
  ReferenceControl* references = nullptr;
  /// Called after a session's album changed: tells its consoles.
  std::function<void(session::Id)> album_changed;
  /// Deliveries of a session's album (/api/sessions/ID/deliveries).
  Deliveries* deliveries = nullptr;
};

/// When an invite made now with `lifetime` expires (nothing for 0: never).
std::optional<std::int64_t> invite_expiry(std::chrono::milliseconds lifetime);

/// Largest request body the API reads.
inline constexpr std::size_t kApiBodyLimitBytes = 256 * 1024;

void add_api_routes(control::HttpServer& http, ApiContext& api);

/// The caller of an API request, by its bearer token; and the responses every route gives.
control::Expected<control::Principal> api_caller(ApiContext& api, const control::HttpRequest& req);
control::HttpResponse api_json(const nlohmann::json& body, unsigned status = 200);
control::HttpResponse api_error(const control::Error& e);

/// The control layer's error for a store failure.
control::Error from_store(const session::Error& error);

}  // namespace lacquer::daemon
