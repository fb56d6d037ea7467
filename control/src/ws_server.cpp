#include "lacquer/control/ws_server.hpp"

#include <deque>
#include <list>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "lacquer/control/ws_protocol.hpp"

namespace lacquer::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::shared_ptr<const std::string> serialize(const nlohmann::json& message) {
  return std::make_shared<const std::string>(
      message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool role_reads(Role have, Role need) {
  return need != Role::none && static_cast<int>(have) >= static_cast<int>(need);
}

}  // namespace

struct WsServer::Core {
  Core(asio::io_context& io_context, ControlHub& control_hub, Authenticator& authenticator,
       Options opts)
      : io(io_context),
        hub(control_hub),
        dispatcher(control_hub, authenticator, opts.ops),
        options(std::move(opts)),
        meter_period(push_period(options.meter_rate_hz)),
        transport_period(push_period(options.transport_rate_hz)) {}

  template <class F>
  void for_each(F&& f) {
    sessions.remove_if([](const std::weak_ptr<Session>& s) { return s.expired(); });
    for (const auto& weak : sessions) {
      if (auto s = weak.lock()) f(*s);
    }
  }

  asio::io_context& io;
  ControlHub& hub;
  WsDispatcher dispatcher;
  const Options options;
  const Clock::duration meter_period;
  const Clock::duration transport_period;
  std::list<std::weak_ptr<Session>> sessions;  // executor only
  bool stopped = false;
  std::atomic<std::size_t> clients{0};
  std::atomic<std::uint64_t> dropped_slow{0};
  std::atomic<std::uint64_t> refused_origin{0};
};

class WsServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Core> core,
          std::shared_ptr<ConnectionTicket> ticket)
      : ws_(std::move(socket)),
        core_(std::move(core)),
        ticket_(std::move(ticket)),
        auth_deadline_(ws_.get_executor()),
        bucket_(core_->options.messages_per_s, core_->options.message_burst, Clock::now()) {
    client_.remote_address = ticket_->client_address();
  }

  ~Session() {
    if (accepted_) core_->clients.fetch_sub(1);
  }

  void start(http::request<http::string_body> request) {
    ticket_->on_evict([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->close();
    });
    // Counted from the upgrade: the handshake, then the auth message, within the deadline.
    auth_deadline_.expires_after(core_->options.auth_deadline);
    auth_deadline_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (!ec && self && self->client_.principal.role == Role::none) self->close_now();
    });
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "lacquer"); }));
    ws_.read_message_max(core_->options.max_frame_bytes);
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
      self->on_accept(ec);
    });
  }

  const WsClient& client() const noexcept { return client_; }

  /// Queues a message on this connection's strand.
  void send(std::shared_ptr<const std::string> message) {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this(), m = std::move(message)] {
      self->enqueue(m);
    });
  }

  void close() {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->close_now(); });
  }

  /// Whether a periodic push is due; records it as sent when it is.
  bool due(Clock::time_point& last, Clock::duration period, Clock::time_point now) {
    if (now - last < period) return false;
    last = now;
    return true;
  }

  Clock::time_point last_meters{};
  Clock::time_point last_transport{};

 private:
  void on_accept(beast::error_code ec) {
    if (ec || core_->stopped) return close_now();
    accepted_ = true;
    core_->clients.fetch_add(1);
    core_->sessions.push_back(weak_from_this());
    read();
  }

  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    // Errors include a frame over the size limit: Beast has then closed with 1009.
    if (ec) return close_now();
    const auto now = Clock::now();
    nlohmann::json reply;
    if (!bucket_.allow(now)) {
      reply = error_json(make_error(ErrorCode::rate_limited, "too many messages"));
    } else if (!ws_.got_text()) {
      reply = error_json(make_error(ErrorCode::bad_request, "binary frames are not accepted"));
    } else {
      const std::string text = beast::buffers_to_string(buffer_.data());
      const Role before = client_.principal.role;
      reply = core_->dispatcher.handle(client_, text, now);
      if (before == Role::none && client_.principal.role != Role::none) {
        auth_deadline_.cancel();
        ticket_->authenticated(client_.principal.role == Role::engineer);
      }
    }
    buffer_.consume(buffer_.size());
    enqueue(serialize(reply));
    read();
  }

  void enqueue(const std::shared_ptr<const std::string>& message) {
    if (closed_) return;
    if (outbox_.size() >= core_->options.max_outbox_messages ||
        outbox_bytes_ + message->size() > core_->options.max_outbox_bytes) {
      core_->dropped_slow.fetch_add(1);
      return close_now();
    }
    outbox_bytes_ += message->size();
    outbox_.push_back(message);
    if (!writing_) write_next();
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(*outbox_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->on_write(ec);
                    });
  }

  void on_write(beast::error_code ec) {
    if (ec || closed_) return close_now();
    outbox_bytes_ -= outbox_.front()->size();
    outbox_.pop_front();
    writing_ = false;
    if (!outbox_.empty() && !closed_) write_next();
  }

  void close_now() {
    if (closed_) return;
    closed_ = true;
    auth_deadline_.cancel();
    // The outbox stays: a write in flight still reads its front; it goes with the session.
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).close();
  }

  websocket::stream<beast::tcp_stream> ws_;
  std::shared_ptr<Core> core_;
  std::shared_ptr<ConnectionTicket> ticket_;  // this connection's place in the HTTP gate
  asio::steady_timer auth_deadline_;
  beast::flat_buffer buffer_;
  std::deque<std::shared_ptr<const std::string>> outbox_;  // one write in flight at its front
  std::size_t outbox_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  bool accepted_ = false;
  TokenBucket bucket_;  // requests from this connection
  WsClient client_;
};

WsServer::WsServer(asio::io_context& io, ControlHub& hub, Authenticator& auth, Options options)
    : core_(std::make_shared<Core>(io, hub, auth, std::move(options))) {}

WsServer::~WsServer() { stop(); }

void WsServer::handle_upgrade(tcp::socket socket, http::request<http::string_body> request,
                              std::shared_ptr<ConnectionTicket> ticket) {
  unsigned status = 0;
  if (core_->stopped) {
    status = 503;
  } else if (!origin_allowed(request[http::field::origin], request[http::field::host],
                             core_->options.origins)) {
    core_->refused_origin.fetch_add(1);
    status = 403;
  }
  if (status != 0) {
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), request.version());
    response->set(http::field::content_type, "application/json");
    response->body() = status == 403 ? R"({"error":"origin not allowed"})"
                                     : R"({"error":"not accepting connections"})";
    response->keep_alive(false);
    response->prepare_payload();
    stream->expires_after(std::chrono::seconds(5));
    http::async_write(*stream, *response, [stream, response](beast::error_code, std::size_t) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    });
    return;
  }
  auto session = std::make_shared<Session>(std::move(socket), core_, std::move(ticket));
  session->start(std::move(request));
}

void WsServer::stop() {
  core_->stopped = true;
  core_->for_each([](Session& s) { s.close(); });
}

void WsServer::close_if(const std::function<bool(const Principal&)>& matches) {
  core_->for_each([&](Session& s) {
    if (matches(s.client().principal)) s.close();
  });
}

std::size_t WsServer::clients() const noexcept { return core_->clients.load(); }
std::uint64_t WsServer::dropped_slow() const noexcept { return core_->dropped_slow.load(); }
std::uint64_t WsServer::refused_origin() const noexcept { return core_->refused_origin.load(); }

void WsServer::on_change(const Change& change) {
  const bool transport = change.entry->path.starts_with("/transport/");
  std::shared_ptr<const std::string> message;
  core_->for_each([&](Session& s) {
    const WsClient& c = s.client();
    const unsigned wanted = transport ? (kTopicParams | kTopicTransport) : kTopicParams;
    if ((c.topics & wanted) == 0U || !role_reads(c.principal.role, change.entry->read_role)) {
      return;
    }
    if (!message) message = serialize(change_json(change));
    s.send(message);
  });
}

void WsServer::on_note(const NoteRecord& note) {
  std::shared_ptr<const std::string> message;
  core_->for_each([&](Session& s) {
    const WsClient& c = s.client();
    if ((c.topics & kTopicNotes) == 0U || !c.principal.may_access(note.session_id)) return;
    if (!message) message = serialize({{"op", "note.changed"}, {"note", note_json(note)}});
    s.send(message);
  });
}

void WsServer::push_session(std::int64_t session_id, Topic topic, const nlohmann::json& message) {
  std::shared_ptr<const std::string> text;
  core_->for_each([&](Session& s) {
    const WsClient& c = s.client();
    if ((c.topics & topic) == 0U || !c.principal.may_access(session_id)) return;
    if (!text) text = serialize(message);
    s.send(text);
  });
}

void WsServer::on_meters(const MeterFrame& frame, Clock::time_point now) {
  std::shared_ptr<const std::string> message;
  core_->for_each([&](Session& s) {
    if ((s.client().topics & kTopicMeters) == 0U) return;
    if (!s.due(s.last_meters, core_->meter_period, now)) return;
    if (!message) message = serialize(meters_json(frame));
    s.send(message);
  });
}

void WsServer::on_transport(const TransportState& state, Clock::time_point now) {
  std::shared_ptr<const std::string> message;
  core_->for_each([&](Session& s) {
    if ((s.client().topics & kTopicTransport) == 0U) return;
    if (!s.due(s.last_transport, core_->transport_period, now)) return;
    if (!message) message = serialize(transport_json(state));
    s.send(message);
  });
}

}  // namespace lacquer::control
