// Limits that keep the HTTP/WebSocket endpoint up under attack, with real peers on loopback:
// floods of unauthenticated connections (from a second loopback address, 127.0.0.2, so
// they have an address of their own), the auth deadline, and Host names (DNS rebinding).
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include "rig.hpp"
#include "ws_client.hpp"

namespace lacquer::control::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

/// Unauthenticated WebSocket upgrades from one address, held open and idle.
class Flood {
 public:
  /// Returns the number of upgrades the server answered with 101.
  int open(const char* from, std::uint16_t port, int count) {
    int upgraded = 0;
    for (int i = 0; i < count; ++i) {
      auto socket = std::make_unique<tcp::socket>(io_);
      socket->open(tcp::v4());
      socket->bind(tcp::endpoint(asio::ip::make_address(from), 0));
      socket->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
      http::request<http::empty_body> req{http::verb::get, "/ws", 11};
      req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
      req.set(http::field::upgrade, "websocket");
      req.set(http::field::connection, "Upgrade");
      req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
      req.set(http::field::sec_websocket_version, "13");
      beast::error_code ec;
      http::write(*socket, req, ec);
      beast::flat_buffer buffer;
      http::response<http::empty_body> res;
      if (!ec) http::read(*socket, buffer, res, ec);
      if (!ec && res.result_int() == 101) ++upgraded;
      sockets_.push_back(std::move(socket));
    }
    return upgraded;
  }

  /// Connections the server has closed (a read ends at once instead of waiting).
  int closed_by_server() {
    int closed = 0;
    for (auto& s : sockets_) {
      s->non_blocking(true);
      char byte = 0;
      beast::error_code ec;
      s->read_some(asio::buffer(&byte, 1), ec);
      if (ec && ec != asio::error::would_block) ++closed;
    }
    return closed;
  }

 private:
  asio::io_context io_;
  std::vector<std::unique_ptr<tcp::socket>> sockets_;
};

json auth_request(const char* token) { return {{"op", "auth"}, {"token", token}, {"id", 1}}; }

TEST(Limits, EngineerGetsInThroughAFloodOfUnauthenticatedWebSockets) {
  RigOptions options;
  options.http.max_connections = 1000;
  options.http.max_per_address = 5000;  // the total is what this flood meets
  Rig rig(options);
  Flood flood;
  EXPECT_EQ(flood.open("127.0.0.2", rig.http_port(), 1100), 1100);
  EXPECT_GE(rig.http->evicted(), 100U);

  WsTestClient engineer(rig.http_port());
  auto ok = engineer.request(auth_request(kEngineerToken));
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["role"], "engineer");
  // Authenticated, the engineer is no longer a candidate: a second flood evicts its own.
  EXPECT_EQ(flood.open("127.0.0.2", rig.http_port(), 1100), 1100);
  auto still = engineer.request({{"op", "get"}, {"path", "/chain/input/trim"}});
  ASSERT_TRUE(still);
  EXPECT_EQ((*still)["ok"], true);
}

TEST(Limits, OneAddressHoldsAtMostItsShare) {
  RigOptions options;
  options.http.max_per_address = 64;
  Rig rig(options);
  Flood flood;
  EXPECT_EQ(flood.open("127.0.0.2", rig.http_port(), 100), 100);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(flood.closed_by_server(), 36);
  EXPECT_EQ(rig.http->evicted(), 36U);
  // Another address is not affected.
  WsTestClient other(rig.http_port());
  auto ok = other.request(auth_request(kClientToken));
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["role"], "client");
}

TEST(Limits, UnauthenticatedWebSocketIsClosedAtTheDeadlineWhateverItSends) {
  RigOptions options;
  options.ws.auth_deadline = 500ms;
  Rig rig(options);
  WsTestClient idle(rig.http_port());
  WsTestClient authed(rig.http_port());
  ASSERT_TRUE(authed.request(auth_request(kEngineerToken)));
  // Pings every 100 ms are answered but do not keep it open.
  const auto started = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - started < 2s) {
    if (!idle.send({{"op", "ping"}})) break;
    if (!idle.read(300ms)) break;
    std::this_thread::sleep_for(100ms);
  }
  const double lived_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(lived_s, 1.2);
  EXPECT_FALSE(idle.read(500ms));
  auto still = authed.request({{"op", "ping"}});
  ASSERT_TRUE(still);
  EXPECT_EQ((*still)["op"], "pong");
}

TEST(Limits, HostMustNameTheDaemon) {
  RigOptions options;
  options.http.host_names = {"studio.example"};
  Rig rig(options);
  const std::string port = std::to_string(rig.http_port());
  // A rebinding page: its own name in Host and Origin.
  EXPECT_EQ(upgrade_status(rig.http_port(), "http://evil.example:" + port,
                           "evil.example:" + port), 421);
  EXPECT_EQ(upgrade_status(rig.http_port(), "http://studio.example.evil.example:" + port,
                           "studio.example.evil.example:" + port), 421);
  EXPECT_EQ(upgrade_status(rig.http_port(), "", "127.0.0.1:" + port), 101);
  EXPECT_EQ(upgrade_status(rig.http_port(), "", "[::1]:" + port), 101);
  EXPECT_EQ(upgrade_status(rig.http_port(), "http://localhost:" + port, "localhost:" + port),
            101);
  EXPECT_EQ(upgrade_status(rig.http_port(), "https://Studio.Example", "Studio.Example"), 101);
}

/// GET /whoami with an X-Forwarded-For header; the body is the address the server saw.
std::string whoami(std::uint16_t port, const std::string& forwarded) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req{http::verb::get, "/whoami", 11};
  req.set(http::field::host, "127.0.0.1");
  if (!forwarded.empty()) req.set("X-Forwarded-For", forwarded);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return res.body();
}

TEST(Limits, ForwardedForIsBelievedFromTrustedProxiesOnly) {
  for (const bool trusted : {true, false}) {
    RigOptions options;
    if (trusted) options.http.trusted_proxies = {"127.0.0.1"};
    Rig rig(options);
    rig.on_executor([&] {
      rig.http->route("GET", "/whoami", [](const HttpRequest& req) {
        HttpResponse r;
        r.content_type = "text/plain";
        r.body = req.remote_address;
        return r;
      });
      return 0;
    });
    const std::string proxied = trusted ? "203.0.113.9" : "127.0.0.1";
    EXPECT_EQ(whoami(rig.http_port(), ""), "127.0.0.1");
    EXPECT_EQ(whoami(rig.http_port(), "203.0.113.9"), proxied);
    // Only the entry the proxy added counts; what the client wrote before it does not.
    EXPECT_EQ(whoami(rig.http_port(), "10.0.0.1, 203.0.113.9"), proxied);
    EXPECT_EQ(whoami(rig.http_port(), "not-an-address"), "127.0.0.1");
  }
}

TEST(Limits, HostNamesAcceptedAndRefused) {
  const std::vector<std::string> names = {"mastering.lan"};
  EXPECT_TRUE(host_allowed("", names));
  EXPECT_TRUE(host_allowed("192.168.1.20:8080", names));
  EXPECT_TRUE(host_allowed("[fe80::1]:8080", names));
  EXPECT_TRUE(host_allowed("localhost", names));
  EXPECT_TRUE(host_allowed("app.localhost:8080", names));
  EXPECT_TRUE(host_allowed("MASTERING.lan.:443", names));
  EXPECT_FALSE(host_allowed("mastering.lan.evil.example", names));
  EXPECT_FALSE(host_allowed("127.0.0.1.nip.io:8080", names));
  EXPECT_FALSE(host_allowed("[fe80::1", names));
  EXPECT_FALSE(host_allowed("evil.example", names));
}

}  // namespace
}  // namespace lacquer::control::testing
