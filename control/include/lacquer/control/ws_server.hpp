#pragma once
// The WebSocket endpoint (/ws): takes upgraded connections from the HTTP server, checks
// their Origin, and runs each on its own strand with a capped frame size, a per-connection
// rate limit and a bounded outbox (a client that cannot keep up is dropped, never allowed
// to stall the others or grow memory). Requests go through WsDispatcher on the control
// executor; changes, meters, transport and notes are pushed to subscribers.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "lacquer/control/auth.hpp"
#include "lacquer/control/http_server.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/control/meter_poller.hpp"
#include "lacquer/control/ws_protocol.hpp"

namespace lacquer::control {

class WsServer : public HubListener, public MeterSink {
 public:
  struct Options {
    std::vector<std::string> origins;                ///< allowed besides the served origin
    std::size_t max_frame_bytes = 64 * 1024;          ///< larger messages close the connection
    std::size_t max_outbox_messages = 256;            ///< queued pushes before a drop
    std::size_t max_outbox_bytes = 4 * 1024 * 1024;
    double messages_per_s = 100.0;                    ///< per connection, with a burst of:
    double message_burst = 200.0;
    double meter_rate_hz = 30.0;                      ///< highest meter push rate
    double transport_rate_hz = 10.0;
    /// A connection not authenticated by then is closed (pings do not keep it open).
    std::chrono::milliseconds auth_deadline{10000};
    WsOps ops;  ///< the daemon's own ops
  };

  /// The io_context must be run by one thread (the control executor).
  WsServer(boost::asio::io_context& io, ControlHub& hub, Authenticator& auth, Options options);
  ~WsServer() override;
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  /// Takes over an upgrade request (HttpServer::upgrade_route's handler).
  void handle_upgrade(boost::asio::ip::tcp::socket socket,
                      boost::beast::http::request<boost::beast::http::string_body> request,
                      std::shared_ptr<ConnectionTicket> ticket);

  /// Closes every connection and refuses new ones.
  void stop();

  /// Closes the connections whose principal matches (a revoked or expired client's).
  void close_if(const std::function<bool(const Principal&)>& matches);

  /// Open WebSocket connections.
  std::size_t clients() const noexcept;
  /// Connections dropped because their outbox overflowed.
  std::uint64_t dropped_slow() const noexcept;
  /// Upgrades refused for their Origin.
  std::uint64_t refused_origin() const noexcept;

  /// Sends `message` to the connections subscribed to `topic` that may access the session.
  void push_session(std::int64_t session_id, Topic topic, const nlohmann::json& message);

  void on_change(const Change& change) override;
  void on_note(const NoteRecord& note) override;
  void on_meters(const MeterFrame& frame, Clock::time_point now) override;
  void on_transport(const TransportState& state, Clock::time_point now) override;

 private:
  class Session;
  struct Core;

  std::shared_ptr<Core> core_;
};

}  // namespace lacquer::control
