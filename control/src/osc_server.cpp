#include "lacquer/control/osc_server.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <stdexcept>
#include <thread>
#include <variant>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "lacquer/control/address_filter.hpp"
#include "lacquer/control/auth.hpp"
#include "lacquer/control/rate_limit.hpp"

namespace lacquer::control {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;

namespace {

// Messages per refresh bundle: about 2 KB, well under any path MTU concern on a LAN.
constexpr std::size_t kRefreshBundleMessages = 32;
// Queued packets per TCP connection before the peer counts as too slow and is dropped.
constexpr std::size_t kMaxTcpQueue = 512;
// Transport pushes never faster than this, whatever the subscriber's meter rate.
constexpr double kMaxTransportRateHz = 10.0;

asio::ip::address normalized(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}


std::shared_ptr<const std::vector<std::uint8_t>> packet_of(std::vector<std::uint8_t> bytes) {
  return std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
}

}  // namespace

std::string OscServer::Peer::key() const {
  if (tcp) return "tcp:" + std::to_string(connection);
  return "udp:" + address + ":" + std::to_string(port);
}

struct OscServer::Net {
  class Connection;

  Net(const Options& options, AddressFilter address_filter)
      : filter(std::move(address_filter)),
        limiter(options.messages_per_s, options.message_burst),
        udp_buffer(options.max_packet_bytes),
        max_packet(options.max_packet_bytes),
        max_connections(options.max_tcp_connections),
        tcp_secret(options.tcp_secret) {}

  /// Receive thread: the gate every packet passes before it reaches the executor.
  void on_packet(const Peer& peer, const asio::ip::address& from,
                 std::span<const std::uint8_t> bytes) {
    const auto now = Clock::now();
    if (!filter.allows(from)) {
      refused.fetch_add(1);
      return log(now, "OSC from {} refused: not in the allow-list", peer.address);
    }
    if (!limiter.allow(peer.address, now)) {
      limited.fetch_add(1);
      return log(now, "OSC from {} dropped: over the rate limit", peer.address);
    }
    auto decoded = decode_osc_packet(bytes, limits);
    if (!decoded.ok()) {
      malformed.fetch_add(1);
      return log(now, "OSC from " + peer.address + " dropped: {}", decoded.error().message);
    }
    std::vector<OscMessage> messages = std::move(decoded).value();
    // A bundle costs one token per message; the first was taken above.
    std::size_t keep = 1;
    while (keep < messages.size() && limiter.allow(peer.address, now)) ++keep;
    if (keep < messages.size()) {
      limited.fetch_add(messages.size() - keep);
      messages.resize(keep);
      log(now, "OSC bundle from {} cut: over the rate limit", peer.address);
    }
    deliver(peer, std::move(messages));
  }

  template <class... Args>
  void log(Clock::time_point now, const std::string& format, const Args&... args) {
    std::uint64_t suppressed = 0;
    if (!log_limiter.allow(now, suppressed)) return;
    const std::string line = fmt::format(fmt::runtime(format), args...);
    if (suppressed > 0) {
      spdlog::warn("{} ({} similar lines suppressed)", line, suppressed);
    } else {
      spdlog::warn("{}", line);
    }
  }

  void receive_udp() {
    udp_socket.async_receive_from(asio::buffer(udp_buffer), udp_sender,
                           [this](const boost::system::error_code& ec, std::size_t n) {
                             if (ec == asio::error::operation_aborted || !udp_socket.is_open()) return;
                             if (!ec) {
                               const auto from = normalized(udp_sender.address());
                               Peer peer{false, 0, from.to_string(), udp_sender.port()};
                               on_packet(peer, from, std::span(udp_buffer.data(), n));
                             }
                             // Other errors (an ICMP "port unreachable" after a send to a
                             // surface that went away) leave the socket usable.
                             receive_udp();
                           });
  }

  void accept_tcp();

  void send_udp(const Peer& peer, const std::vector<std::uint8_t>& packet) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(peer.address, ec);
    if (ec) return;
    if (address.is_v4() && udp_v6) {
      address = asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4());
    }
    // Non-blocking: a full send buffer drops the datagram, as the network might.
    udp_socket.send_to(asio::buffer(packet), udp::endpoint(address, peer.port), 0, ec);
  }

  void send_tcp(std::uint64_t id, const std::shared_ptr<const std::vector<std::uint8_t>>& packet);

  asio::io_context io;
  udp::socket udp_socket{io};
  bool udp_v6 = false;
  tcp::acceptor acceptor{io};
  std::thread thread;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  AddressFilter filter;
  KeyedLimiter limiter;
  LogLimiter log_limiter;
  OscLimits limits;
  std::vector<std::uint8_t> udp_buffer;
  udp::endpoint udp_sender;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections;
  std::uint64_t next_connection = 1;
  std::size_t max_packet;
  std::size_t max_connections;
  std::string tcp_secret;  // empty: TCP trusted by address, as UDP
  std::function<void(const Peer&, std::vector<OscMessage>)> deliver;
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> limited{0};
  std::atomic<std::uint64_t> malformed{0};
};

class OscServer::Net::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, Net& net, Peer peer, asio::ip::address from)
      : socket_(std::move(socket)),
        net_(net),
        peer_(std::move(peer)),
        from_(from),
        admitted_(net.tcp_secret.empty()) {}

  void read_header() {
    asio::async_read(socket_, asio::buffer(header_),
                     [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
                       self->on_header(ec);
                     });
  }

  void send(const std::shared_ptr<const std::vector<std::uint8_t>>& packet) {
    if (queue_.size() >= kMaxTcpQueue) return close();
    const auto n = static_cast<std::uint32_t>(packet->size());
    std::vector<std::uint8_t> framed = {static_cast<std::uint8_t>(n >> 24U),
                                        static_cast<std::uint8_t>(n >> 16U),
                                        static_cast<std::uint8_t>(n >> 8U),
                                        static_cast<std::uint8_t>(n)};
    framed.insert(framed.end(), packet->begin(), packet->end());
    queue_.push_back(std::move(framed));
    if (queue_.size() == 1) write_next();
  }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    queue_.clear();
    net_.connections.erase(peer_.connection);
  }

 private:
  void on_header(const boost::system::error_code& ec) {
    if (ec) return close();
    const std::uint32_t n = (std::uint32_t{header_[0]} << 24U) |
                            (std::uint32_t{header_[1]} << 16U) |
                            (std::uint32_t{header_[2]} << 8U) | std::uint32_t{header_[3]};
    if (n == 0 || n > net_.max_packet) {
      net_.malformed.fetch_add(1);
      net_.log(Clock::now(), "OSC/TCP from {} closed: bad packet length", peer_.address);
      return close();
    }
    body_.resize(n);
    asio::async_read(socket_, asio::buffer(body_),
                     [self = shared_from_this()](const boost::system::error_code& e, std::size_t) {
                       if (e) return self->close();
                       if (!self->admitted_) return self->admit();
                       self->net_.on_packet(self->peer_, self->from_, self->body_);
                       self->read_header();
                     });
  }

  // The first message of a connection when a secret is set: `/lacquer/auth s SECRET`.
  void admit() {
    auto decoded = decode_osc_packet(body_, net_.limits);
    const bool admitted =
        decoded.ok() && decoded->size() == 1 && (*decoded)[0].path == "/lacquer/auth" &&
        (*decoded)[0].args.size() == 1 &&
        std::holds_alternative<std::string>((*decoded)[0].args[0]) &&
        constant_time_equal(std::get<std::string>((*decoded)[0].args[0]), net_.tcp_secret);
    if (!admitted) {
      net_.refused.fetch_add(1);
      net_.log(Clock::now(), "OSC/TCP from {} closed: no shared secret", peer_.address);
      return close();
    }
    admitted_ = true;
    send(packet_of(encode_osc_message({"/lacquer/auth", {std::int32_t{1}}, {}})));
    read_header();
  }

  void write_next() {
    asio::async_write(socket_, asio::buffer(queue_.front()),
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  std::size_t) {
                        if (ec) return self->close();
                        if (self->queue_.empty()) return;
                        self->queue_.pop_front();
                        if (!self->queue_.empty()) self->write_next();
                      });
  }

  tcp::socket socket_;
  Net& net_;
  Peer peer_;
  asio::ip::address from_;
  std::array<std::uint8_t, 4> header_{};
  std::vector<std::uint8_t> body_;
  std::deque<std::vector<std::uint8_t>> queue_;  // framed packets, the front being written
  bool admitted_;  // gave the shared secret, or none is configured
};

void OscServer::Net::accept_tcp() {
  acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      boost::system::error_code e;
      const auto remote = socket.remote_endpoint(e);
      const auto from = normalized(remote.address());
      if (e || !filter.allows(from) || connections.size() >= max_connections) {
        refused.fetch_add(1);
        log(Clock::now(), "OSC/TCP connection from {} refused", from.to_string());
        socket.close(e);
      } else {
        const std::uint64_t id = next_connection++;
        auto c = std::make_shared<Connection>(std::move(socket), *this,
                                              Peer{true, id, from.to_string(), remote.port()},
                                              from);
        connections[id] = c;
        c->read_header();
      }
    }
    accept_tcp();
  });
}

void OscServer::Net::send_tcp(std::uint64_t id,
                              const std::shared_ptr<const std::vector<std::uint8_t>>& packet) {
  const auto it = connections.find(id);
  if (it != connections.end()) it->second->send(packet);
}

OscServer::OscServer(asio::io_context& control, ControlHub& hub, Options options)
    : control_(control),
      hub_(hub),
      options_(std::move(options)),
      lease_timer_(control),
      alive_(std::make_shared<bool>(true)) {
  auto filter = AddressFilter::parse(options_.allow);
  if (!filter.ok()) throw std::runtime_error("OSC: " + filter.error().message);
  for (const auto& surface : options_.surfaces) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(surface.address, ec);
    if (ec || surface.port == 0) {
      throw std::runtime_error("OSC: a surface is a numeric host and a port, not '" +
                               surface.address + ":" + std::to_string(surface.port) + "'");
    }
    if (!filter->allows(normalized(address))) {
      throw std::runtime_error("OSC: the surface " + surface.address +
                               " is outside the allowed sources (osc.allow)");
    }
  }
  net_ = std::make_unique<Net>(options_, std::move(filter).value());

  // UDP first; TCP on the same number. With port 0 a number free for UDP may be taken for
  // TCP, so try a few.
  const int attempts = options_.port == 0 ? 20 : 1;
  std::string failure;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    boost::system::error_code ec;
    net_->udp_socket.open(udp::v6(), ec);
    net_->udp_v6 = !ec;
    if (!ec) net_->udp_socket.set_option(asio::ip::v6_only(false), ec);
    if (ec) {
      net_->udp_socket.close(ec);
      net_->udp_socket.open(udp::v4(), ec);
      net_->udp_v6 = false;
    }
    const auto any = net_->udp_v6 ? asio::ip::address(asio::ip::address_v6::any())
                                  : asio::ip::address(asio::ip::address_v4::any());
    if (!ec) net_->udp_socket.bind(udp::endpoint(any, options_.port), ec);
    if (ec) {
      failure = "UDP: " + ec.message();
      net_->udp_socket.close(ec);
      continue;
    }
    port_ = net_->udp_socket.local_endpoint().port();
    net_->acceptor.open(net_->udp_v6 ? tcp::v6() : tcp::v4(), ec);
    if (!ec && net_->udp_v6) net_->acceptor.set_option(asio::ip::v6_only(false), ec);
    if (!ec) net_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) net_->acceptor.bind(tcp::endpoint(any, port_), ec);
    if (!ec) net_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      net_->udp_socket.non_blocking(true, ec);
      failure.clear();
      break;
    }
    failure = "TCP: " + ec.message();
    net_->acceptor.close(ec);
    net_->udp_socket.close(ec);
  }
  if (!failure.empty()) {
    throw std::runtime_error("cannot listen for OSC on port " + std::to_string(options_.port) +
                             " (" + failure + ")");
  }

  std::weak_ptr<bool> alive = alive_;
  net_->deliver = [this, alive](const Peer& peer, std::vector<OscMessage> messages) {
    asio::post(control_, [this, alive, peer, messages = std::move(messages)] {
      if (alive.lock()) handle(peer, messages);
    });
  };
}

OscServer::~OscServer() {
  alive_.reset();
  stop();
}

void OscServer::start() {
  running_ = true;
  for (const auto& surface : options_.surfaces) {
    Subscriber sub;
    // Written as senders' addresses are, so its host's messages find it.
    const auto address = normalized(asio::ip::make_address(surface.address));
    sub.peer = Peer{false, 0, address.to_string(), surface.port};
    sub.fixed_reply = true;
    sub.permanent = true;
    sub.rate_hz = std::clamp(surface.rate_hz, 0.1, options_.max_rate_hz);
    subscribers_[sub.peer.key()] = sub;
  }
  net_->work.emplace(net_->io.get_executor());
  net_->receive_udp();
  net_->accept_tcp();
  net_->thread = std::thread([net = net_.get()] { net->io.run(); });
  arm_lease_timer();
}

void OscServer::stop() {
  running_ = false;
  lease_timer_.cancel();
  if (net_->thread.joinable()) {
    asio::post(net_->io, [net = net_.get()] {
      boost::system::error_code ignored;
      net->udp_socket.close(ignored);
      net->acceptor.close(ignored);
      auto connections = net->connections;
      for (auto& [id, c] : connections) c->close();
      net->work.reset();
    });
    net_->thread.join();
  }
  subscribers_.clear();
}

std::uint64_t OscServer::refused_source() const noexcept { return net_->refused.load(); }
std::uint64_t OscServer::rate_limited() const noexcept { return net_->limited.load(); }
std::uint64_t OscServer::malformed() const noexcept { return net_->malformed.load(); }

void OscServer::send(const Peer& peer, Packet packet) {
  if (!running_) return;
  asio::post(net_->io, [net = net_.get(), peer, packet = std::move(packet)] {
    if (peer.tcp) {
      net->send_tcp(peer.connection, packet);
    } else {
      net->send_udp(peer, *packet);
    }
  });
}

void OscServer::to_subscribers(const Packet& packet) {
  for (const auto& [key, sub] : subscribers_) send(sub.peer, packet);
}

void OscServer::reply(const Peer& peer, const OscMessage& message) {
  send(peer, packet_of(encode_osc_message(message)));
}

void OscServer::reply_error(const Peer& peer, const std::string& path, const Error& error) {
  reply(peer, OscMessage{"/lacquer/error",
                         {path.substr(0, 256), std::string(to_string(error.code)), error.message},
                         {}});
}

void OscServer::handle(const Peer& peer, const std::vector<OscMessage>& messages) {
  const auto now = Clock::now();
  if (const auto it = subscription_of(peer); it != subscribers_.end()) {
    it->second.expires = now + options_.lease;  // any message renews the lease
  }
  for (const auto& m : messages) handle_one(peer, m, now);
}

std::map<std::string, OscServer::Subscriber>::iterator OscServer::subscription_of(const Peer& sender) {
  if (const auto it = subscribers_.find(sender.key()); it != subscribers_.end()) return it;
  if (sender.tcp) return subscribers_.end();
  return std::find_if(subscribers_.begin(), subscribers_.end(), [&sender](const auto& kv) {
    return kv.second.fixed_reply && kv.second.peer.address == sender.address;
  });
}

void OscServer::subscribe(const Peer& sender, const OscMessage& m, Clock::time_point now) {
  // /lacquer/subscribe [rate_hz [reply_port]]: surfaces that listen on another port than
  // they send from (TouchOSC, Open Stage Control) name it.
  const auto number = [](const OscArg& a) -> std::optional<double> {
    if (const auto* f = std::get_if<float>(&a)) return *f;
    if (const auto* d = std::get_if<double>(&a)) return *d;
    if (const auto* i = std::get_if<std::int32_t>(&a)) return *i;
    if (const auto* l = std::get_if<std::int64_t>(&a)) return static_cast<double>(*l);
    return std::nullopt;
  };
  const auto refuse = [&](ErrorCode code, const std::string& why) {
    reply_error(sender, m.path, make_error(code, why));
  };
  if (!m.unsupported.empty() || m.args.size() > 2) {
    return refuse(ErrorCode::bad_request, m.path + " takes [rate_hz [reply_port]]");
  }
  double rate = options_.default_rate_hz;
  if (!m.args.empty()) {
    const auto r = number(m.args[0]);
    if (!r || !std::isfinite(*r)) return refuse(ErrorCode::invalid_value, "the rate is a number in Hz");
    rate = std::clamp(*r, 0.1, options_.max_rate_hz);
  }
  Peer to = sender;
  bool fixed_reply = false;
  if (m.args.size() == 2) {
    const auto port = number(m.args[1]);
    if (sender.tcp || !port || *port != std::round(*port) || *port < 1.0 || *port > 65535.0) {
      return refuse(ErrorCode::invalid_value,
                    "the reply port is a UDP port number from 1 to 65535 (TCP replies on its connection)");
    }
    to.port = static_cast<std::uint16_t>(*port);
    fixed_reply = true;
  } else if (const auto it = subscription_of(sender); it != subscribers_.end()) {
    to = it->second.peer;  // a surface renewing keeps its reply address
    fixed_reply = it->second.fixed_reply;
  }
  const std::string key = to.key();
  if (!subscribers_.contains(key) && subscribers_.size() >= options_.max_subscribers) {
    return refuse(ErrorCode::unavailable, "too many subscribers");
  }
  // One subscription per reply address: a host that names a new reply port moves there.
  if (fixed_reply) {
    std::erase_if(subscribers_, [&](const auto& kv) {
      return kv.first != key && !kv.second.permanent && !kv.second.peer.tcp &&
             kv.second.peer.address == to.address &&
             (kv.second.fixed_reply || kv.first == sender.key());
    });
  }
  if (!subscribers_.contains(key)) spdlog::info("OSC {} subscribed at {:.1f} Hz", key, rate);
  auto& sub = subscribers_[key];
  sub.peer = to;
  sub.fixed_reply = fixed_reply;
  sub.rate_hz = rate;
  sub.expires = now + options_.lease;
  const double lease_s = std::chrono::duration<double>(options_.lease).count();
  reply(to, OscMessage{"/lacquer/subscribed", {static_cast<float>(rate), static_cast<float>(lease_s)}, {}});
}

void OscServer::handle_one(const Peer& sender, const OscMessage& m, Clock::time_point now) {
  if (m.path == "/lacquer/subscribe") return subscribe(sender, m, now);
  const auto sub = subscription_of(sender);
  const bool subscribed = sub != subscribers_.end();
  const Peer peer = subscribed ? sub->second.peer : sender;  // where answers go
  if (m.path == "/lacquer/ping") return reply(peer, OscMessage{"/lacquer/pong", {}, {}});
  if (m.path == "/lacquer/renew") {
    if (!subscribed) {
      return reply_error(peer, m.path, make_error(ErrorCode::not_found, "not subscribed"));
    }
    return;
  }
  if (m.path == "/lacquer/unsubscribe") {
    if (subscribed && !sub->second.permanent) subscribers_.erase(sub);
    return reply(peer, OscMessage{"/lacquer/unsubscribed", {}, {}});
  }
  if (m.path == "/lacquer/refresh") return refresh(peer);

  auto value = osc_value(m);
  if (!value.ok()) return reply_error(peer, m.path, value.error());
  const bool no_value = std::holds_alternative<std::monostate>(*value);
  auto result = hub_.execute(Command{m.path, *value, Origin::osc, Role::engineer});
  if (!result.ok()) return reply_error(peer, m.path, result.error());
  const Entry& e = *result->entry;
  const bool query = no_value && e.readable && e.type != ValueType::trigger &&
                     result->entry == hub_.table().resolve(m.path)->entry;
  // Subscribers heard a change already; a query, or a sender that is not subscribed,
  // gets the value directly.
  if (query || !subscribed) {
    const auto messages = change_messages(*result);
    send(peer, packet_of(messages.size() == 1 ? encode_osc_message(messages.front())
                                              : encode_osc_bundle(messages)));
  }
}

std::vector<OscMessage> OscServer::change_messages(const Change& change) const {
  std::vector<OscMessage> out;
  out.push_back(OscMessage{change.entry->path, {osc_arg(change.value)}, {}});
  if (change.norm) {
    out.push_back(
        OscMessage{change.entry->path + "/norm", {static_cast<float>(*change.norm)}, {}});
  }
  return out;
}

void OscServer::refresh(const Peer& peer) {
  std::vector<OscMessage> all;
  for (const Change& c : hub_.current(Role::engineer)) {
    for (auto& m : change_messages(c)) all.push_back(std::move(m));
  }
  for (std::size_t at = 0; at < all.size(); at += kRefreshBundleMessages) {
    const std::size_t n = std::min(kRefreshBundleMessages, all.size() - at);
    send(peer, packet_of(encode_osc_bundle(std::span(all).subspan(at, n))));
  }
  reply(peer, OscMessage{"/lacquer/refreshed", {static_cast<std::int32_t>(all.size())}, {}});
}

void OscServer::on_change(const Change& change) {
  if (subscribers_.empty()) return;
  for (const auto& m : change_messages(change)) to_subscribers(packet_of(encode_osc_message(m)));
}

void OscServer::on_note(const NoteRecord& note) {
  if (subscribers_.empty()) return;
  to_subscribers(packet_of(encode_osc_message(OscMessage{
      "/note/changed",
      {static_cast<std::int32_t>(note.id), note.text, std::int32_t{note.resolved ? 1 : 0}},
      {}})));
}

void OscServer::on_meters(const MeterFrame& frame, Clock::time_point now) {
  Packet packet;
  for (auto& [key, sub] : subscribers_) {
    if (now - sub.last_meters < push_period(sub.rate_hz)) continue;
    sub.last_meters = now;
    if (!packet) {
      std::vector<OscMessage> messages;
      for (const auto& r : frame.readings) {
        messages.push_back(OscMessage{std::string(r.path), {static_cast<float>(r.value)}, {}});
      }
      packet = packet_of(encode_osc_bundle(messages));
    }
    send(sub.peer, packet);
  }
}

void OscServer::on_transport(const TransportState& state, Clock::time_point now) {
  Packet packet;
  for (auto& [key, sub] : subscribers_) {
    if (now - sub.last_transport < push_period(std::min(sub.rate_hz, kMaxTransportRateHz))) {
      continue;
    }
    sub.last_transport = now;
    if (!packet) {
      const std::vector<OscMessage> messages = {
          {"/transport/playing", {std::int32_t{state.playing ? 1 : 0}}, {}},
          {"/transport/track", {std::int32_t{state.track}}, {}},
          {"/transport/position", {static_cast<float>(state.position_s)}, {}},
      };
      packet = packet_of(encode_osc_bundle(messages));
    }
    send(sub.peer, packet);
  }
}

void OscServer::arm_lease_timer() {
  const auto period = std::clamp<Clock::duration>(options_.lease / 4, std::chrono::milliseconds(20),
                                                  std::chrono::seconds(1));
  lease_timer_.expires_after(period);
  lease_timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](
                              const boost::system::error_code& ec) {
    if (ec || !alive.lock() || !running_) return;
    expire(Clock::now());
    arm_lease_timer();
  });
}

void OscServer::expire(Clock::time_point now) {
  std::erase_if(subscribers_, [now](const auto& kv) {
    if (kv.second.permanent || now < kv.second.expires) return false;
    spdlog::info("OSC {} lease expired", kv.first);
    return true;
  });
}

}  // namespace lacquer::control
