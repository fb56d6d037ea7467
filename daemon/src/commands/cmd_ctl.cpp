// `lacquer ctl PATH [VALUE]`: gets or sets one path on a running daemon over its WebSocket,
// with the engineer token. `--dump-protocol` prints the path table of docs/protocol.md.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "lacquer/control/dispatch.hpp"
#include "lacquer/control/protocol_doc.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using nlohmann::json;

struct CtlOptions {
  std::string path;
  std::string value;
  bool has_value = false;
  std::string url = "ws://127.0.0.1:8080/ws";
  std::string token;
  bool dump_protocol = false;
};

/// A command-line value as JSON: numbers and true/false as such, anything else a string.
json parse_value(const std::string& text) {
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_discarded() && (parsed.is_number() || parsed.is_boolean())) return parsed;
  return text;
}

int ctl(const CtlOptions& o) {
  if (o.dump_protocol) {
    std::fputs(control::protocol_paths_markdown(control::CommandTable::instance()).c_str(), stdout);
    return 0;
  }
  if (o.path.empty()) {
    std::fprintf(stderr, "lacquer ctl: a PATH is needed\n");
    return 2;
  }
  // ws://HOST:PORT/PATH
  constexpr std::string_view kScheme = "ws://";
  if (!o.url.starts_with(kScheme)) {
    std::fprintf(stderr, "lacquer ctl: --url must start with ws://\n");
    return 2;
  }
  const std::string rest = o.url.substr(kScheme.size());
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  const std::string target = slash == std::string::npos ? "/ws" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  const std::string host = colon == std::string::npos ? authority : authority.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : authority.substr(colon + 1);

  std::string token = o.token;
  if (token.empty()) {
    if (const char* env = std::getenv("LACQUER_TOKEN")) token = env;
  }

  asio::io_context io;
  websocket::stream<asio::ip::tcp::socket> ws(io);
  asio::ip::tcp::resolver resolver(io);
  try {
    asio::connect(ws.next_layer(), resolver.resolve(host, port));
    ws.handshake(authority, target);
  } catch (const boost::system::system_error& e) {
    std::fprintf(stderr, "lacquer ctl: cannot reach the daemon at %s: %s (is `lacquer serve` running?)\n",
                 o.url.c_str(), e.code().message().c_str());
    return 1;
  }
  beast::flat_buffer buffer;
  const auto exchange = [&](const json& request) {
    ws.write(asio::buffer(request.dump()));
    for (;;) {
      buffer.consume(buffer.size());
      ws.read(buffer);
      json reply = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
      if (reply.is_object() && reply.value("id", 0) == request.value("id", -1)) return reply;
    }
  };
  const auto closed = [](const boost::system::system_error& e) {
    std::fprintf(stderr, "lacquer ctl: the daemon closed the connection: %s\n", e.code().message().c_str());
    return 1;
  };
  json auth;
  try {
    auth = exchange({{"op", "auth"}, {"token", token}, {"id", 1}});
  } catch (const boost::system::system_error& e) {
    return closed(e);
  }
  if (auth.value("op", "") == "error") {
    std::fprintf(stderr, "lacquer ctl: %s\n", auth.value("message", "auth failed").c_str());
    return 1;
  }
  // A trigger (/transport/play, /meter/reset…) acts when set with no value.
  const control::Entry* entry = control::CommandTable::instance().find(o.path);
  const bool trigger = entry != nullptr && entry->type == control::ValueType::trigger;
  json request = o.has_value ? json{{"op", "set"}, {"path", o.path}, {"value", parse_value(o.value)}}
                 : trigger   ? json{{"op", "set"}, {"path", o.path}}
                             : json{{"op", "get"}, {"path", o.path}};
  request["id"] = 2;
  json reply;
  try {
    reply = exchange(request);
  } catch (const boost::system::system_error& e) {
    return closed(e);
  }
  beast::error_code ignored;
  ws.close(websocket::close_code::normal, ignored);
  if (reply.value("op", "") == "error") {
    std::fprintf(stderr, "lacquer ctl: %s: %s\n", reply.value("code", "").c_str(),
                 reply.value("message", "").c_str());
    return 1;
  }
  const json& value = reply["value"];
  std::printf("%s %s\n", reply.value("path", o.path).c_str(),
              value.is_string() ? value.get<std::string>().c_str() : value.dump().c_str());
  return 0;
}

const bool registered = register_subcommand(
    "ctl", "Get or set a path on a running daemon (over its WebSocket)", [](CLI::App& app) {
      auto o = std::make_shared<CtlOptions>();
      app.add_option("path", o->path, "Command path, e.g. /chain/eq/3/gain");
      app.add_option("value", o->value, "Value to set (engineering units); omitted: get")
          ->each([o](const std::string&) { o->has_value = true; });
      app.add_option("--url", o->url, "WebSocket URL of the daemon");
      app.add_option("--token", o->token, "Engineer token (default: $LACQUER_TOKEN)");
      app.add_flag("--dump-protocol", o->dump_protocol,
                   "Print every path of the protocol as a Markdown table");
      return [o] { return ctl(*o); };
    });

}  // namespace

}  // namespace lacquer::daemon
