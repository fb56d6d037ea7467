#pragma once
// HTTP/1.1 server on the control executor (Boost.Beast). Handlers run on the executor's
// thread, so they may touch the control state without locks; one strand per connection.
// Every connection holds a ticket of the server's connection gate, which bounds
// connections per address and in total (evicting the oldest unauthenticated one rather
// than refusing a newcomer, so a flood cannot lock the engineer out), and every request's
// Host must be a name the daemon answers to (a DNS-rebinding page names its own).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "lacquer/control/rate_limit.hpp"

namespace lacquer::control {

/// A request as handlers see it.
struct HttpRequest {
  std::string method;          ///< "GET", "POST", ...
  std::string target;          ///< path and query as sent
  std::string path;            ///< target without the query string
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::string remote_address;  ///< the client's (via a trusted proxy: X-Forwarded-For)

  /// The header's value, or "" when absent.
  std::string header(const std::string& lower_name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, the body is this file, sent from disk as the connection takes it (a
  /// deliverable of gigabytes is never held in memory); `body` is then unused.
  std::filesystem::path file;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// Delivers a deferred response; callable once, from any thread.
using HttpResponder = std::function<void(HttpResponse)>;
/// A handler that answers later (work done off the executor, e.g. hashing a file).
using HttpAsyncHandler = std::function<void(const HttpRequest&, HttpResponder)>;

/// A connection's place in the connection gate. Whoever owns the socket holds it (the HTTP
/// connection, then the WebSocket or listener it was upgraded to); dropping it frees the
/// place. Used on the control executor only.
class ConnectionTicket {
 public:
  virtual ~ConnectionTicket() = default;
  /// The peer's address: what the limits count.
  virtual const std::string& address() const = 0;
  /// The client's address: the peer's, or the one a trusted proxy forwarded
  /// (X-Forwarded-For) in the request that was upgraded. Failed logins are counted by it.
  const std::string& client_address() const noexcept {
    return client_address_.empty() ? address() : client_address_;
  }
  /// An authenticated connection is never evicted for a newcomer; an engineer's is not
  /// counted against the limits at all.
  virtual void authenticated(bool engineer) = 0;
  /// What closes the connection when the gate evicts it to admit another.
  virtual void on_evict(std::function<void()> close) = 0;

 private:
  friend class HttpServer;
  std::string client_address_;
};

/// Takes over a connection whose request is an upgrade (e.g. a WebSocket) on a route.
using UpgradeHandler = std::function<void(
    boost::asio::ip::tcp::socket socket,
    boost::beast::http::request<boost::beast::http::string_body> request,
    std::shared_ptr<ConnectionTicket> ticket)>;

/// Whether a Host header (with or without a port) names this daemon: an IP literal (a
/// rebinding page cannot send one as its own name), "localhost" and "*.localhost", or one
/// of `names` (case-insensitive). An absent Host (HTTP/1.0 tools) is accepted.
bool host_allowed(std::string_view host, const std::vector<std::string>& names);

class HttpServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;  ///< 0 picks a free port
    std::size_t body_limit_bytes = 1 << 20;
    std::chrono::seconds read_timeout{30};
    /// Names accepted in Host besides IP literals and localhost (host_allowed).
    std::vector<std::string> host_names;
    /// Open connections (HTTP and upgraded) at most, engineers' not counted; keep it under
    /// the descriptor limit. 0: derived from RLIMIT_NOFILE at construction.
    std::size_t max_connections = 0;
    std::size_t max_per_address = 256;
    /// Peers whose X-Forwarded-For is believed (a reverse proxy on this machine, say);
    /// from anyone else the header is ignored.
    std::vector<std::string> trusted_proxies;
    /// Sent with every response (e.g. Strict-Transport-Security behind TLS).
    std::vector<std::pair<std::string, std::string>> response_headers;
  };

  /// Binds and listens; throws std::runtime_error naming the address when that fails.
  HttpServer(boost::asio::io_context& io, Options options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Routes an exact path (or a prefix when `path` ends in '*') for one method.
  void route(const std::string& method, const std::string& path, HttpHandler handler);

  /// As route(), for a handler that responds later.
  void route_async(const std::string& method, const std::string& path, HttpAsyncHandler handler);

  /// Routes upgrade requests on an exact path.
  void upgrade_route(const std::string& path, UpgradeHandler handler);

  /// Starts accepting on the executor.
  void start();

  /// Stops accepting and closes open connections.
  void stop();

  std::uint16_t port() const noexcept { return port_; }
  std::string address() const { return options_.address; }

  /// HTTP connections open now (upgraded connections are counted by their owners).
  std::size_t connections() const noexcept { return connections_->load(); }

  /// Connections the gate admits at most (Options::max_connections, or the derived value).
  std::size_t max_connections() const noexcept;
  /// Connections closed to admit others, and newcomers refused (all places authenticated).
  std::uint64_t evicted() const noexcept;
  std::uint64_t refused() const noexcept;
  /// Times accept failed for want of descriptors (EMFILE, ENFILE) and was retried later.
  std::uint64_t accept_backoffs() const noexcept { return accept_backoffs_; }

 private:
  class Connection;
  class Gate;
  struct Routes;

  void accept();
  void accept_later();

  boost::asio::io_context& io_;
  Options options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::shared_ptr<Routes> routes_;
  std::shared_ptr<std::atomic<std::size_t>> connections_;
  std::shared_ptr<Gate> gate_;
  boost::asio::steady_timer accept_retry_;
  std::chrono::milliseconds accept_backoff_{0};
  std::atomic<std::uint64_t> accept_backoffs_{0};
  LogLimiter accept_log_{1, std::chrono::seconds(10)};
};

}  // namespace lacquer::control
