#pragma once
// A blocking /ws client for the daemon's integration tests.

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace lacquer::test {

class WsClient {
 public:
  explicit WsClient(std::uint16_t port) : ws_(io_) {
    boost::asio::ip::tcp::resolver resolver(io_);
    boost::asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.handshake("127.0.0.1:" + std::to_string(port), "/ws");
    ws_.text(true);
  }
  /// Sends `message` and returns the next frame (its reply when nothing else is pushed).
  nlohmann::json call(const nlohmann::json& message) {
    ws_.write(boost::asio::buffer(message.dump()));
    return read();
  }
  nlohmann::json read() {
    boost::beast::flat_buffer buffer;
    ws_.read(buffer);
    return nlohmann::json::parse(boost::beast::buffers_to_string(buffer.data()));
  }

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
};

}  // namespace lacquer::test
