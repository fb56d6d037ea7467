#pragma once
// Live listening on `/listen`: the tapped output is encoded once (Opus, or 16-bit PCM for a
// LAN) on an encoder thread and fanned out to every listener's WebSocket. Each listener has
// a short queue; a slow one skips ahead and never holds up the others. The engineer may
// always listen, a client only while the open session is one it was invited to.
//
// Protocol: the client sends {"op":"auth","token":T[,"codec":"opus"|"pcm"]} as its first
// text frame; the reply is {"op":"auth","ok":true,"role":R,"codec":C,"sample_rate":48000,
// "channels":2} and then binary frames follow, each a 24-byte little-endian header and one
// packet: u8 version (1), u8 codec (1 Opus, 2 PCM s16), u8 compare state (0 chain,
// 1 bypass, 2 A, 3 B), u8 flags (bit 0: playing), u32 sequence, u64 track time in 48 kHz
// samples of the packet's first sample, u16 frames per channel, u16 track index,
// u32 reserved.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "lacquer/control/auth.hpp"
#include "lacquer/control/http_server.hpp"
#include "audio/listen_tap.hpp"

namespace lacquer::daemon {

enum class ListenCodec : std::uint8_t { opus = 1, pcm16 = 2 };

struct ListenOptions {
  int opus_bitrate = 320000;         ///< bits per second
  std::size_t queue_packets = 25;    ///< per listener: 0.5 s of 20 ms packets
  std::vector<std::string> origins;  ///< allowed Origins besides the served host
  /// From the upgrade to the auth message at most; then the connection is closed.
  std::chrono::milliseconds auth_deadline{10000};
};

/// Resolves a token to who holds it, or nothing when refused.
using ListenAuthenticator = std::function<std::optional<control::Principal>(
    const std::string& token, const std::string& source)>;

class ListenServer {
 public:
  ListenServer(boost::asio::io_context& io, ListenTap& tap, ListenOptions options);
  ~ListenServer();
  ListenServer(const ListenServer&) = delete;
  ListenServer& operator=(const ListenServer&) = delete;

  /// Registers `/listen` on the HTTP server.
  void attach(control::HttpServer& http);
  void set_authenticator(ListenAuthenticator authenticator);

  /// The session the room plays (nothing: none is open). Clients listen only while it is
  /// one they were invited to; those no longer entitled are disconnected at once. Executor
  /// thread only.
  void set_open_session(std::optional<std::int64_t> session_id);

  /// Ends the streams of listeners whose principal matches (a revoked or expired client).
  void close_if(const std::function<bool(const control::Principal&)>& matches);

  /// Starts the encoder thread.
  void start();
  /// Stops the encoder and closes every listener.
  void stop();

  std::size_t listeners() const noexcept;
  std::uint64_t packets_sent() const noexcept;
  std::uint64_t packets_skipped() const noexcept;

  /// Prometheus lines for /metrics.
  std::string metrics() const;

 private:
  class Listener;
  class Encoder;
  struct Shared;

  boost::asio::io_context& io_;
  ListenTap& tap_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Encoder> encoder_;
};

}  // namespace lacquer::daemon
