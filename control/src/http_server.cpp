#include "lacquer/control/http_server.hpp"

#include <algorithm>
#include <list>
#include <optional>
#include <stdexcept>

#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

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
    HttpHandler handler;
  };
  std::vector<Entry> entries;
  std::map<std::string, UpgradeHandler> upgrades;
  std::list<std::weak_ptr<Connection>> open;  // for stop(); touched on the executor only
  bool stopped = false;

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

}  // namespace

class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, std::shared_ptr<Routes> routes, const Options& options,
             std::shared_ptr<std::atomic<std::size_t>> counter)
      : stream_(std::move(socket)),
        routes_(std::move(routes)),
        options_(options),
        counter_(std::move(counter)) {
    counter_->fetch_add(1);
    boost::system::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_address_ = endpoint.address().to_string();
  }
  ~Connection() { counter_->fetch_sub(1); }

  void start() { read(); }

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
    if (beast::websocket::is_upgrade(request)) {
      const std::string path(request.target().substr(0, request.target().find('?')));
      const auto it = routes_->upgrades.find(path);
      if (it == routes_->upgrades.end()) {
        return write(error_response(404, "no such endpoint"), false, request.version());
      }
      stream_.expires_never();
      it->second(stream_.release_socket(), std::move(request));
      return;
    }
    const bool keep_alive = request.keep_alive();
    const unsigned version = request.version();
    write(dispatch(request), keep_alive, version);
  }

  HttpResponse dispatch(const http::request<http::string_body>& request) const {
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
    req.remote_address = remote_address_;

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
      return path_known ? error_response(405, "method not allowed")
                        : error_response(404, "no such endpoint");
    }
    try {
      return best->handler(req);
    } catch (const std::exception&) {
      return error_response(500, "internal error");
    }
  }

  void write(const HttpResponse& response, bool keep_alive, unsigned version) {
    auto message = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    message->set(http::field::server, "lacquer");
    message->set(http::field::content_type, response.content_type);
    message->set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : response.headers) message->set(name, value);
    message->body() = response.body;
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
  std::string remote_address_;
};

HttpServer::HttpServer(asio::io_context& io, Options options)
    : io_(io),
      options_(std::move(options)),
      acceptor_(io),
      routes_(std::make_shared<Routes>()),
      connections_(std::make_shared<std::atomic<std::size_t>>(0)) {
  boost::system::error_code ec;
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
  routes_->entries.push_back({method, path, std::move(handler)});
}

void HttpServer::upgrade_route(const std::string& path, UpgradeHandler handler) {
  routes_->upgrades[path] = std::move(handler);
}

void HttpServer::start() { accept(); }

void HttpServer::accept() {
  acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec || routes_->stopped) return;
    auto connection =
        std::make_shared<Connection>(std::move(socket), routes_, options_, connections_);
    routes_->open.remove_if([](const std::weak_ptr<Connection>& c) { return c.expired(); });
    routes_->open.push_back(connection);
    connection->start();
    accept();
  });
}

void HttpServer::stop() {
  routes_->stopped = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& weak : routes_->open) {
    if (auto connection = weak.lock()) connection->close();
  }
  routes_->open.clear();
}

}  // namespace lacquer::control
