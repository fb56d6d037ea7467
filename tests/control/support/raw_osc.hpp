#pragma once
// OSC written and read by the test itself, byte by byte (OSC 1.0), independent of liblo,
// and a UDP/TCP peer with receive timeouts.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lacquer::control::testing {

using RawArg = std::variant<std::int32_t, float, std::string>;

struct RawMessage {
  std::string path;
  std::string types;  ///< without the leading ','
  std::vector<RawArg> args;
};

/// Encodes a message; `types` gives each argument's tag ('i', 'f', 's', or any other tag
/// whose bytes the caller supplies raw via a string argument).
std::vector<std::uint8_t> raw_message(const std::string& path, const std::string& types,
                                      const std::vector<RawArg>& args);
/// Wraps packets in a bundle with the "immediately" time tag.
std::vector<std::uint8_t> raw_bundle(const std::vector<std::vector<std::uint8_t>>& elements);

/// Decodes a packet into its messages (bundles flattened); nothing when malformed.
std::optional<std::vector<RawMessage>> raw_decode(const std::vector<std::uint8_t>& packet);

class RawOscPeer {
 public:
  /// A UDP socket on 127.0.0.1 (any port), or a TCP connection to `port` when `tcp`.
  explicit RawOscPeer(std::uint16_t server_port, bool tcp = false);
  ~RawOscPeer();
  RawOscPeer(const RawOscPeer&) = delete;
  RawOscPeer& operator=(const RawOscPeer&) = delete;

  void send(const std::vector<std::uint8_t>& packet);
  /// The next packet, or nothing after the timeout.
  std::optional<std::vector<std::uint8_t>> receive(std::chrono::milliseconds timeout);
  /// Messages received (and kept from earlier packets) until one has `path`; that message,
  /// or nothing. Messages before it are dropped, those after it in its packet kept.
  std::optional<RawMessage> wait_for(const std::string& path, std::chrono::milliseconds timeout);
  std::uint16_t local_port() const { return local_port_; }

 private:
  int fd_ = -1;
  bool tcp_ = false;
  std::uint16_t server_port_;
  std::uint16_t local_port_ = 0;
  std::deque<RawMessage> pending_;  // decoded, not yet waited for
};

}  // namespace lacquer::control::testing
