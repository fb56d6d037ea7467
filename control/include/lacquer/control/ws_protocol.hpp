#pragma once
// The WebSocket protocol without the socket: parsing a text frame, the ops (auth, set, get,
// state, subscribe, note, notes, snapshot.*, compare, schema, ping, and the daemon's own such
// as album.*) and the JSON of every
// reply and push. The Beast server (ws_server.hpp) only moves frames; this is what the
// fuzz target and the unit tests drive.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lacquer/control/auth.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/control/meter_poller.hpp"

namespace lacquer::control {

/// What a connection subscribed to (bits).
enum Topic : unsigned {
  kTopicParams = 1U << 0U,     ///< every applied change (engineer)
  kTopicMeters = 1U << 1U,     ///< meters at <= 30 Hz
  kTopicTransport = 1U << 2U,  ///< transport state at <= 10 Hz and transport echoes
  kTopicNotes = 1U << 3U,      ///< notes added or resolved on sessions the sender may access
  kTopicAnalysis = 1U << 4U,   ///< a track's QC analysis finished (sessions it may access)
};

/// The protocol state of one connection.
struct WsClient {
  Principal principal;         ///< Role::none until a successful auth
  unsigned topics = 0;
  std::string remote_address;  ///< for the failed-login limit
};

/// Deepest JSON nesting accepted; requests are flat objects, so deeper is garbage.
inline constexpr int kMaxJsonDepth = 16;

/// Parses one text frame into an object; bad_request for invalid JSON, non-objects, a
/// missing "op" string or nesting deeper than kMaxJsonDepth.
Expected<nlohmann::json> parse_ws_request(std::string_view text);

/// An op the daemon adds for parts that live outside control/ (the album): run on the control
/// executor for a client of at least `role`; the fields it returns join the reply
/// `{"op":OP,"ok":true,...}`, an error becomes the error reply.
struct WsOp {
  Role role = Role::engineer;
  std::function<Expected<nlohmann::json>(const Principal&, const nlohmann::json& request)> run;
};
using WsOps = std::map<std::string, WsOp, std::less<>>;

/// Runs requests for connections; one per server, on the control executor.
class WsDispatcher {
 public:
  WsDispatcher(ControlHub& hub, Authenticator& auth, WsOps ops = {})
      : hub_(hub), auth_(auth), ops_(std::move(ops)) {}

  /// Handles one text frame and returns the reply: `{"op":OP,"ok":true,...}` or
  /// `{"op":"error","code":...,"message":...}`, with the request's "id" when it had one.
  nlohmann::json handle(WsClient& client, std::string_view text, Clock::time_point now);

 private:
  nlohmann::json dispatch(WsClient& client, const nlohmann::json& request,
                          Clock::time_point now);

  ControlHub& hub_;
  Authenticator& auth_;
  WsOps ops_;
};

/// `{"op":"error","code":CODE,"message":MESSAGE}`.
nlohmann::json error_json(const Error& error);

/// Push of an applied change: `{"op":"param","path":P,"value":V[,"norm":N]}`.
nlohmann::json change_json(const Change& change);
/// Push of meters: `{"op":"meters","frames":F,"values":{"/meter/out/peak_l":-3.1,...}}`.
nlohmann::json meters_json(const MeterFrame& frame);
/// Push of the transport: `{"op":"transport","playing":..,"track":..,"position_s":..,...}`.
nlohmann::json transport_json(const TransportState& state);
/// A note as sent to clients.
nlohmann::json note_json(const NoteRecord& note);
/// Every path of the table: type, unit, range, default, choices, roles, description.
nlohmann::json schema_json(const CommandTable& table);

/// Whether a WebSocket upgrade's Origin may connect: no Origin (not a browser), the served
/// origin (scheme + the request's Host), or one of `allowed` (exact, e.g.
/// "https://studio.example:8443").
bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed);

}  // namespace lacquer::control
