#include "lacquer/control/http_server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/file_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <spdlog/spdlog.h>

#include "lacquer/control/rate_limit.hpp"

namespace lacquer::control {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string HttpRequest::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpServer::Routes {
  struct Entry {
    std::string method;
    std::string path;  // a trailing '*' makes it a prefix
    HttpAsyncHandler handler;
  };
  std::vector<Entry> entries;
  std::map<std::string, UpgradeHandler> upgrades;
  std::list<std::weak_ptr<Connection>> open;  // for stop(); touched on the executor only
  bool stopped = false;
  std::vector<std::string> host_names;
  std::vector<asio::ip::address> trusted_proxies;

  /// The client's address: the last X-Forwarded-For entry (the one the proxy added) when
  /// the peer is a trusted proxy, else the peer's.
  std::string client_address(const std::string& peer, std::string_view forwarded) const {
    boost::system::error_code ec;
    const auto from = asio::ip::make_address(peer, ec);
    if (ec || forwarded.empty() ||
        std::find(trusted_proxies.begin(), trusted_proxies.end(), from) == trusted_proxies.end()) {
      return peer;
    }
    std::string_view last = forwarded.substr(forwarded.rfind(',') + 1);
    while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
    while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
    const auto client = asio::ip::make_address(std::string(last), ec);
    return ec ? peer : client.to_string();
  }

  static bool matches(const std::string& pattern, const std::string& path) {
    if (!pattern.empty() && pattern.back() == '*') {
      return path.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
    }
    return pattern == path;
  }

  static std::size_t specificity(const std::string& pattern) {
    const bool prefix = !pattern.empty() && pattern.back() == '*';
    return prefix ? pattern.size() - 1 : std::string::npos;
  }
};

namespace {

HttpResponse error_response(unsigned status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = R"({"error":")" + message + R"("})";
  return r;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Descriptors kept free beside the connections: JACK, SQLite, OSC, the encoder, logs.
constexpr std::size_t kReservedDescriptors = 64;

std::size_t connections_for_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 4096;
  const auto soft = static_cast<std::size_t>(limit.rlim_cur);
  return soft > 2 * kReservedDescriptors ? soft - kReservedDescriptors : soft / 2;
}

constexpr auto kAcceptBackoffFirst = std::chrono::milliseconds(50);
constexpr auto kAcceptBackoffMost = std::chrono::milliseconds(1000);

}  // namespace

bool host_allowed(std::string_view host, const std::vector<std::string>& names) {
  if (host.empty()) return true;
  std::string name;
  if (host.front() == '[') {  // [v6]:port
    const auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    name = std::string(host.substr(1, close - 1));
  } else {
    const auto colon = host.find(':');
    name = lower(host.substr(0, colon));  // name:port
  }
  if (!name.empty() && name.back() == '.') name.pop_back();  // "example." is "example"
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  if (!ec) return true;
  if (name == "localhost" || name.ends_with(".localhost")) return true;
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return lower(n) == name; });
}

// The connection gate: who is connected from where, and which unauthenticated connection
// goes first when a limit is reached. Touched on the executor; the mutex only guards
// tickets released from another thread at shutdown.
class HttpServer::Gate : public std::enable_shared_from_this<Gate> {
 public:
  Gate(std::size_t max_total, std::size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  class Ticket : public ConnectionTicket {
   public:
    Ticket(std::shared_ptr<Gate> gate, std::string address)
        : gate_(std::move(gate)), address_(std::move(address)) {}
    ~Ticket() override { gate_->release(*this); }
    const std::string& address() const override { return address_; }
    void authenticated(bool engineer) override { gate_->authenticated(*this, engineer); }
    void on_evict(std::function<void()> close) override {
      std::lock_guard lock(gate_->mutex_);
      evict_ = std::move(close);
    }

   private:
    friend class Gate;
    std::shared_ptr<Gate> gate_;
    std::string address_;
    bool pending_ = true;   // not authenticated: may be evicted
    bool counted_ = true;   // holds a place (engineers and evicted ones do not)
    std::function<void()> evict_;
  };

  /// A ticket for a new connection from `address`, or nothing when every place it could
  /// take is held by an authenticated connection.
  std::shared_ptr<Ticket> admit(const std::string& address) {
    std::function<void()> close_victim;
    std::shared_ptr<Ticket> ticket;
    std::shared_ptr<Ticket> victim;  // released after the lock: its destructor takes it
    {
      std::lock_guard lock(mutex_);
      if (per_address_[address] >= max_per_address_) {
        victim = oldest_pending([&](const Ticket& t) { return t.address_ == address; });
      } else if (total_ >= max_total_) {
        // The address holding the most places pays, so a flood evicts its own connections.
        const auto busiest = std::max_element(
            per_address_.begin(), per_address_.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
        victim = oldest_pending([&](const Ticket& t) { return t.address_ == busiest->first; });
        if (victim == nullptr) victim = oldest_pending([](const Ticket&) { return true; });
      }
      const bool full = per_address_[address] >= max_per_address_ || total_ >= max_total_;
      if (full && victim == nullptr) {
        ++refused_;
        if (per_address_[address] == 0) per_address_.erase(address);
        return nullptr;
      }
      if (victim != nullptr) {
        ++evicted_;
        uncount(*victim);
        victim->pending_ = false;
        close_victim = std::move(victim->evict_);
      }
      ticket = std::make_shared<Ticket>(shared_from_this(), address);
      ++per_address_[address];
      ++total_;
      // Closed connections leave expired entries; sweep them before they outnumber the live.
      if (pending_.size() > 2 * total_ + 64) {
        pending_.remove_if([](const std::weak_ptr<Ticket>& t) { return t.expired(); });
      }
      pending_.push_back(ticket);
    }
    if (close_victim) close_victim();
    return ticket;
  }

  std::uint64_t evicted() const noexcept { return evicted_; }
  std::uint64_t refused() const noexcept { return refused_; }
  std::size_t max_total() const noexcept { return max_total_; }

 private:
  template <class Pred>
  std::shared_ptr<Ticket> oldest_pending(Pred pred) {
    pending_.remove_if([](const std::weak_ptr<Ticket>& t) { return t.expired(); });
    for (const auto& weak : pending_) {
      auto t = weak.lock();
      if (t && t->pending_ && pred(*t)) return t;
    }
    return nullptr;
  }

  void uncount(Ticket& t) {
    if (!t.counted_) return;
    t.counted_ = false;
    --total_;
    if (--per_address_[t.address_] == 0) per_address_.erase(t.address_);
  }

  void authenticated(Ticket& t, bool engineer) {
    std::lock_guard lock(mutex_);
    t.pending_ = false;
    if (engineer) uncount(t);
  }

  void release(Ticket& t) {
    std::lock_guard lock(mutex_);
    uncount(t);
  }

  std::mutex mutex_;
  const std::size_t max_total_;
  const std::size_t max_per_address_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;  // places held per address
  std::list<std::weak_ptr<Ticket>> pending_;                  // in order of admission
  std::atomic<std::uint64_t> evicted_{0};
  std::atomic<std::uint64_t> refused_{0};
};

class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Routes> routes, const Options& options,
             std::shared_ptr<std::atomic<std::size_t>> counter,
             std::shared_ptr<ConnectionTicket> ticket)
      : stream_(std::move(socket)),
        routes_(std::move(routes)),
        options_(options),
        counter_(std::move(counter)),
        ticket_(std::move(ticket)),
        remote_address_(ticket_->address()) {
    counter_->fetch_add(1);
  }
  ~Connection() { counter_->fetch_sub(1); }

  void start() {
    ticket_->on_evict([weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        asio::dispatch(self->stream_.get_executor(), [self] { self->close(); });
      }
    });
    read();
  }

  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.body_limit_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(options_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::body_limit) {
      return write(error_response(413, "request body too large"), false, 11);
    }
    if (ec) return close();

    auto request = parser_->release();
    if (!host_allowed(request[http::field::host], routes_->host_names)) {
      return write(error_response(421, "unknown host name"), false, request.version());
    }
    if (beast::websocket::is_upgrade(request)) {
      const std::string path(request.target().substr(0, request.target().find('?')));
      const auto it = routes_->upgrades.find(path);
      if (it == routes_->upgrades.end()) {
        return write(error_response(404, "no such endpoint"), false, request.version());
      }
      stream_.expires_never();
      ticket_->on_evict({});
      ticket_->client_address_ =
          routes_->client_address(remote_address_, request["X-Forwarded-For"]);
      it->second(stream_.release_socket(), std::move(request), std::move(ticket_));
      return;
    }
    dispatch(request);
  }

  // Runs the route's handler; its response is written on this connection's strand,
  // whenever and from whichever thread it comes.
  void dispatch(const http::request<http::string_body>& request) {
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    HttpResponder respond = [self = shared_from_this(), keep_alive,
                             version](HttpResponse response) {
      asio::dispatch(self->stream_.get_executor(),
                     [self, response = std::move(response), keep_alive, version] {
                       self->write(response, keep_alive, version);
                     });
    };
    HttpRequest req;
    req.method = std::string(request.method_string());
    req.target = std::string(request.target());
    req.path = req.target.substr(0, req.target.find('?'));
    for (const auto& field : request) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      req.headers[name] = std::string(field.value());
    }
    req.body = request.body();
    req.remote_address = routes_->client_address(remote_address_, request["X-Forwarded-For"]);

    // An exact route beats any prefix; among prefixes the longest wins, so the order of
    // registration never matters (the UI's "/*" cannot shadow "/api/...").
    const Routes::Entry* best = nullptr;
    bool path_known = false;
    for (const auto& entry : routes_->entries) {
      if (!Routes::matches(entry.path, req.path)) continue;
      path_known = true;
      if (entry.method != req.method) continue;
      if (best == nullptr || Routes::specificity(entry.path) > Routes::specificity(best->path)) {
        best = &entry;
      }
    }
    if (best == nullptr) {
      return respond(path_known ? error_response(405, "method not allowed")
                                : error_response(404, "no such endpoint"));
    }
    auto once = std::make_shared<std::atomic<bool>>(false);
    HttpResponder respond_once = [once, respond](HttpResponse r) {
      if (!once->exchange(true)) respond(std::move(r));
    };
    try {
      best->handler(req, respond_once);
    } catch (const std::exception&) {
      respond_once(error_response(500, "internal error"));
    }
  }

  void write(const HttpResponse& response, bool keep_alive, unsigned version) {
    if (!response.file.empty()) {
      http::file_body::value_type file;
      beast::error_code ec;
      file.open(response.file.c_str(), beast::file_mode::scan, ec);
      if (ec) return write(error_response(404, "the file is no longer there"), keep_alive, version);
      send(make_message<http::file_body>(response, version, std::move(file)), keep_alive);
      return;
    }
    send(make_message<http::string_body>(response, version, response.body), keep_alive);
  }

  template <class Body>
  http::response<Body> make_message(const HttpResponse& response, unsigned version,
                                    typename Body::value_type body) const {
    http::response<Body> message(static_cast<http::status>(response.status), version);
    message.set(http::field::server, "lacquer");
    message.set(http::field::content_type, response.content_type);
    message.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : options_.response_headers) message.set(name, value);
    for (const auto& [name, value] : response.headers) message.set(name, value);
    message.body() = std::move(body);
    return message;
  }

  template <class Body>
  void send(http::response<Body>&& response, bool keep_alive) {
    auto message = std::make_shared<http::response<Body>>(std::move(response));
    message->keep_alive(keep_alive);
    message->prepare_payload();
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
                        if (ec || !message->keep_alive()) return self->close();
                        self->read();
                      });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Routes> routes_;
  const Options options_;
  std::shared_ptr<std::atomic<std::size_t>> counter_;
  std::shared_ptr<ConnectionTicket> ticket_;
  std::string remote_address_;
};

HttpServer::HttpServer(asio::io_context& io, Options options)
    : io_(io),
      options_(std::move(options)),
      acceptor_(io),
      routes_(std::make_shared<Routes>()),
      connections_(std::make_shared<std::atomic<std::size_t>>(0)),
      gate_(std::make_shared<Gate>(options_.max_connections > 0
                                       ? options_.max_connections
                                       : connections_for_descriptor_limit(),
                                   std::max<std::size_t>(1, options_.max_per_address))),
      accept_retry_(io) {
  routes_->host_names = options_.host_names;
  boost::system::error_code ec;
  for (const auto& proxy : options_.trusted_proxies) {
    routes_->trusted_proxies.push_back(asio::ip::make_address(proxy, ec));
    if (ec) throw std::runtime_error("invalid trusted proxy address '" + proxy + "'");
  }
  const auto address = asio::ip::make_address(options_.address, ec);
  if (ec) throw std::runtime_error("invalid HTTP address '" + options_.address + "'");
  const tcp::endpoint endpoint(address, options_.port);
  const std::string where = options_.address + ":" + std::to_string(options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen for HTTP on " + where + ": " + ec.message());
  port_ = acceptor_.local_endpoint().port();
}

HttpServer::~HttpServer() = default;

void HttpServer::route(const std::string& method, const std::string& path, HttpHandler handler) {
  route_async(method, path,
              [handler = std::move(handler)](const HttpRequest& req, HttpResponder respond) {
                respond(handler(req));
              });
}

void HttpServer::route_async(const std::string& method, const std::string& path,
                             HttpAsyncHandler handler) {
  routes_->entries.push_back({method, path, std::move(handler)});
}

std::size_t HttpServer::max_connections() const noexcept { return gate_->max_total(); }
std::uint64_t HttpServer::evicted() const noexcept { return gate_->evicted(); }
std::uint64_t HttpServer::refused() const noexcept { return gate_->refused(); }

void HttpServer::upgrade_route(const std::string& path, UpgradeHandler handler) {
  routes_->upgrades[path] = std::move(handler);
}

void HttpServer::start() { accept(); }

void HttpServer::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (routes_->stopped || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors: the pending connection stays in the backlog; try again once
      // some have closed. Anything else (a peer that gave up) concerns that peer only.
      if (ec.value() == EMFILE || ec.value() == ENFILE || ec.value() == ENOBUFS ||
          ec.value() == ENOMEM) {
        return accept_later();
      }
      return accept();
    }
    accept_backoff_ = std::chrono::milliseconds(0);
    boost::system::error_code endpoint_ec;
    const auto endpoint = socket.remote_endpoint(endpoint_ec);
    auto ticket = gate_->admit(endpoint_ec ? std::string() : endpoint.address().to_string());
    if (ticket) {
      auto connection = std::make_shared<Connection>(std::move(socket), routes_, options_,
                                                     connections_, std::move(ticket));
      routes_->open.remove_if([](const std::weak_ptr<Connection>& c) { return c.expired(); });
      routes_->open.push_back(connection);
      connection->start();
    }
    accept();  // a refused socket closes as it goes out of scope
  });
}

void HttpServer::accept_later() {
  accept_backoff_ = std::min(kAcceptBackoffMost, std::max(kAcceptBackoffFirst, 2 * accept_backoff_));
  ++accept_backoffs_;
  std::uint64_t suppressed = 0;
  if (accept_log_.allow(Clock::now(), suppressed)) {
    spdlog::warn("http: out of file descriptors with {} connections open; accepting again in {} ms"
                 " ({} more like this suppressed)",
                 connections_->load(), accept_backoff_.count(), suppressed);
  }
  accept_retry_.expires_after(accept_backoff_);
  accept_retry_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !routes_->stopped) accept();
  });
}

void HttpServer::stop() {
  routes_->stopped = true;
  accept_retry_.cancel();
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& weak : routes_->open) {
    if (auto connection = weak.lock()) connection->close();
  }
  routes_->open.clear();
}

}  // namespace lacquer::control
