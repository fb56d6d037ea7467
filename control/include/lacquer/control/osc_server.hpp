#pragma once
// OSC over UDP and TCP (OSC 1.0 stream framing: a 32-bit big-endian length before each
// packet) on the same port number. One receive thread owns the sockets: it checks the
// source against the allow-list and the per-source rate limit, decodes with liblo and posts
// the messages to the control executor, where commands run through the hub. Replies, echoes,
// meters and refreshes are encoded on the executor and handed back to the receive thread to
// send, so the executor never blocks on a socket.
//
// Surfaces register with /lacquer/subscribe [rate_hz] for feedback and meters; the lease
// ends after `lease` without any message from them (like an X32's /xremote).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "lacquer/control/hub.hpp"
#include "lacquer/control/meter_poller.hpp"
#include "lacquer/control/osc_codec.hpp"

namespace lacquer::control {

class OscServer : public HubListener, public MeterSink {
 public:
  struct Options {
    std::uint16_t port = 9000;  ///< UDP and TCP; 0 picks a free number for both
    std::vector<std::string> allow = {"127.0.0.0/8", "::1/128"};  ///< source CIDRs
    std::chrono::milliseconds lease{30000};
    double default_rate_hz = 10.0;  ///< meter rate when /lacquer/subscribe has no argument
    double max_rate_hz = 30.0;
    double messages_per_s = 200.0;  ///< per source address, with a burst of:
    double message_burst = 400.0;
    std::size_t max_subscribers = 64;
    std::size_t max_tcp_connections = 64;
    std::size_t max_packet_bytes = 64 * 1024;
    /// When set, a TCP connection's first message must be `/lacquer/auth s SECRET`
    /// (answered `/lacquer/auth i 1`); anything else closes it. UDP is trusted by address.
    std::string tcp_secret;
    /// Surfaces at a fixed reply address (Ardour's manual port mode): each is subscribed from
    /// the start and for good, and whatever its host sends, from any port, is answered there.
    struct Surface {
      std::string address;  ///< numeric host
      std::uint16_t port = 0;
      double rate_hz = 10.0;
    };
    std::vector<Surface> surfaces;
  };

  /// Binds both sockets (dual-stack when IPv6 is available); throws std::runtime_error
  /// naming the port when that fails or the allow-list is invalid.
  OscServer(boost::asio::io_context& control, ControlHub& hub, Options options);
  ~OscServer() override;
  OscServer(const OscServer&) = delete;
  OscServer& operator=(const OscServer&) = delete;

  /// Starts the receive thread and the lease timer.
  void start();
  /// Stops receiving and sending; call on the control executor or after it stopped.
  void stop();

  std::uint16_t port() const noexcept { return port_; }

  /// Surfaces holding a lease (executor only).
  std::size_t subscribers() const noexcept { return subscribers_.size(); }
  /// Packets dropped: outside the allow-list, over the rate limit, or malformed.
  std::uint64_t refused_source() const noexcept;
  std::uint64_t rate_limited() const noexcept;
  std::uint64_t malformed() const noexcept;

  void on_change(const Change& change) override;
  void on_note(const NoteRecord& note) override;
  void on_meters(const MeterFrame& frame, Clock::time_point now) override;
  void on_transport(const TransportState& state, Clock::time_point now) override;

  /// Where a packet came from: a UDP endpoint or a TCP connection.
  struct Peer {
    bool tcp = false;
    std::uint64_t connection = 0;  ///< TCP connection id
    std::string address;           ///< numeric host
    std::uint16_t port = 0;
    std::string key() const;
  };

 private:
  struct Net;
  struct Subscriber {
    Peer peer;  ///< where pushes and replies go
    /// Replies go to `peer` whatever port its host sends from (a reply port was given, or the
    /// surface is configured); `permanent` ones never lapse.
    bool fixed_reply = false;
    bool permanent = false;
    double rate_hz = 10.0;
    Clock::time_point expires;
    Clock::time_point last_meters{};
    Clock::time_point last_transport{};
  };
  using Packet = std::shared_ptr<const std::vector<std::uint8_t>>;

  void handle(const Peer& peer, const std::vector<OscMessage>& messages);
  void handle_one(const Peer& peer, const OscMessage& message, Clock::time_point now);
  /// The subscription a sender belongs to: its own, or for UDP one with a fixed reply address
  /// on the sender's host. Its key in subscribers_, or end().
  std::map<std::string, Subscriber>::iterator subscription_of(const Peer& sender);
  void subscribe(const Peer& sender, const OscMessage& message, Clock::time_point now);
  void reply(const Peer& peer, const OscMessage& message);
  void reply_error(const Peer& peer, const std::string& path, const Error& error);
  void send(const Peer& peer, Packet packet);
  void to_subscribers(const Packet& packet);
  void refresh(const Peer& peer);
  void arm_lease_timer();
  void expire(Clock::time_point now);
  std::vector<OscMessage> change_messages(const Change& change) const;

  boost::asio::io_context& control_;
  ControlHub& hub_;
  const Options options_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Net> net_;
  boost::asio::steady_timer lease_timer_;
  std::map<std::string, Subscriber> subscribers_;  // executor only, by Peer::key()
  std::shared_ptr<bool> alive_;                    // posted handlers run only while set
  bool running_ = false;
};

}  // namespace lacquer::control
