#pragma once
// A WebSocket peer for tests (Boost.Beast), with its own io_context so every read has a
// timeout: connect, send text, read the next JSON message.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace lacquer::control::testing {

class WsTestClient {
 public:
  /// Connects to 127.0.0.1:port and upgrades on `path`; an `origin` sets the Origin header.
  /// Throws std::runtime_error (with the HTTP status when the upgrade was refused).
  explicit WsTestClient(std::uint16_t port, const std::string& origin = "",
                        const std::string& path = "/ws");
  ~WsTestClient();
  WsTestClient(const WsTestClient&) = delete;
  WsTestClient& operator=(const WsTestClient&) = delete;

  /// Sends a text frame; false when the connection is gone.
  bool send_text(const std::string& text);
  bool send(const nlohmann::json& message) { return send_text(message.dump()); }

  /// The next message, or nothing after `timeout` (reading then ends for good: a cancelled
  /// read leaves the stream unusable) or when the connection closed.
  std::optional<nlohmann::json> read(std::chrono::milliseconds timeout = std::chrono::seconds(3));

  /// Sends a request and returns the first message that is not a push (param, meters,
  /// transport, note.changed), or nothing after the timeout.
  std::optional<nlohmann::json> request(const nlohmann::json& message,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(3));

  /// True once a read saw the connection closed; `close_code` then holds the peer's code.
  bool closed() const noexcept { return closed_; }
  int close_code() const noexcept { return close_code_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool closed_ = false;
  int close_code_ = 0;
};

/// Tries an upgrade and returns the HTTP status of the answer (101 when accepted).
int upgrade_status(std::uint16_t port, const std::string& origin, const std::string& host = "");

}  // namespace lacquer::control::testing
