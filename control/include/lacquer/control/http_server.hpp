#pragma once
// HTTP/1.1 server on the control executor (Boost.Beast). Handlers run on the executor's
// thread, so they may touch the control state without locks; one strand per connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace lacquer::control {

/// A request as handlers see it.
struct HttpRequest {
  std::string method;          ///< "GET", "POST", ...
  std::string target;          ///< path and query as sent
  std::string path;            ///< target without the query string
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  std::string remote_address;

  /// The header's value, or "" when absent.
  std::string header(const std::string& lower_name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

/// Takes over a connection whose request is an upgrade (e.g. a WebSocket) on a route.
using UpgradeHandler = std::function<void(
    boost::asio::ip::tcp::socket socket,
    boost::beast::http::request<boost::beast::http::string_body> request)>;

class HttpServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8080;  ///< 0 picks a free port
    std::size_t body_limit_bytes = 1 << 20;
    std::chrono::seconds read_timeout{30};
  };

  /// Binds and listens; throws std::runtime_error naming the address when that fails.
  HttpServer(boost::asio::io_context& io, Options options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Routes an exact path (or a prefix when `path` ends in '*') for one method.
  void route(const std::string& method, const std::string& path, HttpHandler handler);

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

 private:
  class Connection;
  struct Routes;

  void accept();

  boost::asio::io_context& io_;
  Options options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::shared_ptr<Routes> routes_;
  std::shared_ptr<std::atomic<std::size_t>> connections_;
};

}  // namespace lacquer::control
