// The WebSocket endpoint with real peers on loopback.
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <gtest/gtest.h>

#include "rig.hpp"
#include "ws_client.hpp"

namespace lacquer::control::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json auth_request(const char* token) { return {{"op", "auth"}, {"token", token}, {"id", 1}}; }

TEST(WebSocket, AuthSetGetClampAndEchoToSubscribers) {
  Rig rig;
  WsTestClient a(rig.http_port());
  WsTestClient b(rig.http_port());
  auto bad = a.request({{"op", "auth"}, {"token", "wrong"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ((*bad)["op"], "error");
  EXPECT_EQ((*bad)["code"], "unauthorized");

  auto ok = a.request(auth_request(kEngineerToken));
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["op"], "auth");
  EXPECT_EQ((*ok)["ok"], true);
  EXPECT_EQ((*ok)["role"], "engineer");
  EXPECT_EQ((*ok)["id"], 1);
  ASSERT_TRUE(b.request(auth_request(kEngineerToken)));
  auto sub = b.request({{"op", "subscribe"}, {"topics", {"params"}}});
  ASSERT_TRUE(sub);
  EXPECT_EQ((*sub)["topics"], json({"params"}));

  // +40 dB on a -24..+24 dB trim is clamped to +24, and the clamped value is echoed.
  auto set = a.request({{"op", "set"}, {"path", "/chain/input/trim"}, {"value", 40}, {"id", "x7"}});
  ASSERT_TRUE(set);
  EXPECT_EQ((*set)["ok"], true);
  EXPECT_EQ((*set)["id"], "x7");
  EXPECT_EQ((*set)["value"], 24.0);
  EXPECT_EQ(rig.param("/chain/input/trim"), 24.0);
  auto push = b.read();
  ASSERT_TRUE(push);
  EXPECT_EQ((*push)["op"], "param");
  EXPECT_EQ((*push)["path"], "/chain/input/trim");
  EXPECT_EQ((*push)["value"], 24.0);
  EXPECT_EQ((*push)["norm"], 1.0);

  auto get = a.request({{"op", "get"}, {"path", "/chain/input/trim"}});
  ASSERT_TRUE(get);
  EXPECT_EQ((*get)["value"], 24.0);

  auto choice = a.request({{"op", "set"}, {"path", "/chain/eq/2/type"}, {"value", "notch"}});
  ASSERT_TRUE(choice);
  EXPECT_EQ((*choice)["value"], "notch");

  auto state = a.request({{"op", "state"}});
  ASSERT_TRUE(state);
  EXPECT_EQ((*state)["values"]["/chain/input/trim"], 24.0);
  EXPECT_EQ((*state)["values"]["/chain/eq/2/type"], "notch");
}

TEST(WebSocket, ErrorsGoToTheSenderOnly) {
  Rig rig;
  WsTestClient a(rig.http_port());
  WsTestClient b(rig.http_port());
  ASSERT_TRUE(a.request(auth_request(kEngineerToken)));
  ASSERT_TRUE(b.request(auth_request(kEngineerToken)));
  ASSERT_TRUE(b.request({{"op", "subscribe"}, {"topics", {"params"}}}));

  auto unknown = a.request({{"op", "set"}, {"path", "/chain/flux"}, {"value", 1}, {"id", 3}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ((*unknown)["op"], "error");
  EXPECT_EQ((*unknown)["code"], "unknown_path");
  EXPECT_EQ((*unknown)["id"], 3);
  EXPECT_FALSE((*unknown)["message"].get<std::string>().empty());

  a.send_text("{\"op\": \"set\", \"path\": ");
  auto bad_json = a.read();
  ASSERT_TRUE(bad_json);
  EXPECT_EQ((*bad_json)["code"], "bad_request");

  auto wrong_type = a.request({{"op", "set"}, {"path", "/chain/output/gain"}, {"value", "loud"}});
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ((*wrong_type)["code"], "invalid_value");
  // JSON cannot carry NaN; 1e999 overflows to infinity in some parsers and must not pass.
  a.send_text(R"({"op":"set","path":"/chain/output/gain","value":1e999})");
  auto huge = a.read();
  ASSERT_TRUE(huge);
  EXPECT_EQ((*huge)["op"], "error");
  auto unknown_op = a.request({{"op", "dance"}});
  ASSERT_TRUE(unknown_op);
  EXPECT_EQ((*unknown_op)["code"], "bad_request");
  EXPECT_EQ(rig.param("/chain/output/gain"), 0.0);

  // b saw none of it: the next thing it hears is a real change.
  ASSERT_TRUE(a.request({{"op", "set"}, {"path", "/chain/output/gain"}, {"value", -1.5}}));
  auto push = b.read();
  ASSERT_TRUE(push);
  EXPECT_EQ((*push)["path"], "/chain/output/gain");
  EXPECT_EQ((*push)["value"], -1.5);
}

TEST(WebSocket, OversizedFrameClosesThatConnectionOnly) {
  Rig rig;
  WsTestClient big(rig.http_port());
  WsTestClient other(rig.http_port());
  ASSERT_TRUE(big.request(auth_request(kEngineerToken)));
  const std::string frame = R"({"op":"set","path":"/chain/input/trim","value":")" +
                            std::string(4 * 1024 * 1024, 'x') + "\"}";
  big.send_text(frame);
  EXPECT_FALSE(big.read(5s));
  EXPECT_TRUE(big.closed());
  // The server fails the connection at the frame header (close code 1009); the peer may
  // see the close frame or, with its 4 MiB still unsent, a reset.
  auto still = other.request(auth_request(kEngineerToken));
  ASSERT_TRUE(still);
  EXPECT_EQ((*still)["ok"], true);
}

TEST(WebSocket, CrossSiteOriginIsRefusedAtUpgrade) {
  RigOptions options;
  options.ws.origins = {"https://console.studio.example"};
  Rig rig(options);
  const std::string served = "127.0.0.1:" + std::to_string(rig.http_port());
  EXPECT_EQ(upgrade_status(rig.http_port(), "https://evil.example"), 403);
  EXPECT_EQ(upgrade_status(rig.http_port(), "http://" + served), 101);
  EXPECT_EQ(upgrade_status(rig.http_port(), "https://console.studio.example"), 101);
  EXPECT_EQ(upgrade_status(rig.http_port(), ""), 101);  // not a browser
  EXPECT_THROW(WsTestClient(rig.http_port(), "http://attacker.example:" +
                                                 std::to_string(rig.http_port())),
               std::runtime_error);
  EXPECT_EQ(rig.ws->refused_origin(), 2U);
}

TEST(WebSocket, ClientTokenIsRefusedOnEveryChainPathButMayLeaveNotes) {
  RigOptions options;
  options.ws.messages_per_s = 1e6;  // this test sends hundreds of requests at once
  options.ws.message_burst = 1e6;
  Rig rig(options);
  WsTestClient c(rig.http_port());
  auto ok = c.request(auth_request(kClientToken));
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["role"], "client");
  const auto before = rig.on_executor([&] { return rig.hub.chain_state(); });
  std::size_t tried = 0;
  for (const Entry& e : CommandTable::instance().entries()) {
    if (!e.path.starts_with("/chain/") && !e.path.starts_with("/monitor/") &&
        !e.path.starts_with("/transport/") && !e.path.starts_with("/snapshot/")) {
      continue;
    }
    json value = e.type == ValueType::choice ? json(e.choices.back()) : json(e.max_value);
    if (e.type == ValueType::text) value = "A";
    auto r = c.request({{"op", "set"}, {"path", e.path}, {"value", value}});
    ASSERT_TRUE(r) << e.path;
    EXPECT_EQ((*r)["op"], "error") << e.path;
    EXPECT_EQ((*r)["code"], "forbidden") << e.path;
    ++tried;
  }
  EXPECT_GT(tried, 200U);
  EXPECT_EQ(rig.on_executor([&] { return rig.hub.chain_state(); }), before);
  auto params = c.request({{"op", "subscribe"}, {"topics", {"params"}}});
  ASSERT_TRUE(params);
  EXPECT_EQ((*params)["code"], "forbidden");

  auto note = c.request({{"op", "note"}, {"session", kClientSession}, {"track", 101},
                         {"time", 63.25}, {"text", "snare too bright at the bridge"},
                         {"compare", "bypass"}, {"id", 9}});
  ASSERT_TRUE(note);
  EXPECT_EQ((*note)["op"], "note");
  EXPECT_EQ((*note)["ok"], true);
  EXPECT_EQ((*note)["id"], 9);
  const auto stored = rig.on_executor([&] { return rig.sessions.stored; });
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ((*note)["note_id"], stored[0].id);
  EXPECT_EQ(stored[0].time_s, 63.25);
  EXPECT_EQ(stored[0].author, "artist");
  auto elsewhere = c.request({{"op", "note"}, {"session", kClientSession + 1}, {"track", 1},
                              {"time", 1.0}, {"text", "x"}});
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ((*elsewhere)["code"], "forbidden");
  auto listed = c.request({{"op", "notes"}, {"session", kClientSession}});
  ASSERT_TRUE(listed);
  ASSERT_EQ((*listed)["notes"].size(), 1U);
  EXPECT_EQ((*listed)["notes"][0]["text"], "snare too bright at the bridge");
  EXPECT_EQ((*listed)["notes"][0]["compare"], "bypass");
  // Another session's notes, and resolving a note (the engineer's job), are refused.
  auto foreign = c.request({{"op", "notes"}, {"session", kClientSession + 1}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ((*foreign)["op"], "error");
  EXPECT_EQ((*foreign)["code"], "forbidden");
  auto resolve = c.request({{"op", "note.resolve"}, {"note", stored[0].id}});
  ASSERT_TRUE(resolve);
  EXPECT_EQ((*resolve)["code"], "forbidden");
  EXPECT_FALSE(rig.on_executor([&] { return rig.sessions.stored[0].resolved; }));

  // Without a compare state the note records what the room plays; a made-up one is refused.
  auto unstated = c.request({{"op", "note"}, {"session", kClientSession}, {"track", 101},
                             {"time", 70.0}, {"text", "kick"}});
  ASSERT_TRUE(unstated);
  EXPECT_EQ((*unstated)["ok"], true);
  EXPECT_EQ(rig.on_executor([&] { return rig.sessions.stored.back().compare; }), "chain");
  auto made_up = c.request({{"op", "note"}, {"session", kClientSession}, {"track", 101},
                            {"time", 71.0}, {"text", "x"}, {"compare", "louder"}});
  ASSERT_TRUE(made_up);
  EXPECT_EQ((*made_up)["code"], "invalid_value");
}

TEST(WebSocket, UnauthenticatedConnectionsMayOnlyAuthenticate) {
  Rig rig;
  WsTestClient c(rig.http_port());
  for (const json& r : {json{{"op", "set"}, {"path", "/chain/input/trim"}, {"value", 1}},
                        json{{"op", "get"}, {"path", "/chain/input/trim"}},
                        json{{"op", "subscribe"}, {"topics", {"meters"}}}}) {
    auto reply = c.request(r);
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)["code"], "unauthorized");
  }
  // Five wrong tokens throttle the address; the right token still gets in.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.request(auth_request("guess")));
  auto locked = c.request(auth_request("guess"));
  ASSERT_TRUE(locked);
  EXPECT_EQ((*locked)["code"], "rate_limited");
  auto engineer = c.request(auth_request(kEngineerToken));
  ASSERT_TRUE(engineer);
  EXPECT_EQ((*engineer)["role"], "engineer");
}

TEST(WebSocket, EachConnectionIsRateLimited) {
  Rig rig;  // 100 messages/s, bursts of 200
  WsTestClient c(rig.http_port());
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(c.send({{"op", "ping"}}));
  int pongs = 0;
  int limited = 0;
  for (int i = 0; i < 300; ++i) {
    auto r = c.read();
    ASSERT_TRUE(r);
    pongs += (*r)["op"] == "pong";
    limited += (*r).value("code", "") == "rate_limited";
  }
  EXPECT_EQ(pongs + limited, 300);
  EXPECT_GE(pongs, 200);
  EXPECT_GE(limited, 50);
}

TEST(WebSocket, MetersReportTheSineAtUpTo30Hz) {
  Rig rig;
  WsTestClient c(rig.http_port());
  ASSERT_TRUE(c.request(auth_request(kEngineerToken)));
  ASSERT_TRUE(c.request({{"op", "subscribe"}, {"topics", {"meters", "transport"}}}));
  int meters = 0;
  int transport = 0;
  json last;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 2s) {
    auto m = c.read(1s);
    ASSERT_TRUE(m);
    if ((*m)["op"] == "meters") {
      ++meters;
      last = *m;
    }
    if ((*m)["op"] == "transport") ++transport;
  }
  EXPECT_GE(meters, 40);  // 30 Hz nominal over 2 s
  EXPECT_LE(meters, 62);
  EXPECT_GE(transport, 10);
  EXPECT_LE(transport, 22);
  // A 0.5-amplitude sine through the neutral chain peaks at 20*log10(0.5) = -6.02 dBFS.
  const double expected_db = 20.0 * std::log10(kSineAmplitude);
  EXPECT_NEAR(last["values"]["/meter/out/peak_l"].get<double>(), expected_db, 0.1);
  EXPECT_NEAR(last["values"]["/meter/in/peak_r"].get<double>(), expected_db, 0.1);
}

TEST(WebSocket, HundredConcurrentMeterSubscribers) {
  Rig rig;
  constexpr int kClients = 100;
  namespace beast = boost::beast;
  namespace websocket = beast::websocket;
  boost::asio::io_context io;
  struct Peer {
    explicit Peer(boost::asio::io_context& io) : ws(io) {}
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;
    int meters = 0;
    bool failed = false;
  };
  std::vector<std::unique_ptr<Peer>> peers;
  const std::string auth = json{{"op", "auth"}, {"token", kEngineerToken}}.dump();
  const std::string sub = json{{"op", "subscribe"}, {"topics", {"meters"}}}.dump();
  for (int i = 0; i < kClients; ++i) {
    auto p = std::make_unique<Peer>(io);
    beast::get_lowest_layer(p->ws).connect(
        {boost::asio::ip::make_address("127.0.0.1"), rig.http_port()});
    p->ws.handshake("127.0.0.1", "/ws");
    p->ws.write(boost::asio::buffer(auth));
    p->ws.write(boost::asio::buffer(sub));
    peers.push_back(std::move(p));
  }
  std::function<void(Peer&)> read = [&](Peer& p) {
    p.ws.async_read(p.buffer, [&](beast::error_code ec, std::size_t) {
      if (ec) {
        p.failed = true;
        return;
      }
      const auto text = beast::buffers_to_string(p.buffer.data());
      p.buffer.consume(p.buffer.size());
      if (text.find("\"op\":\"meters\"") != std::string::npos) ++p.meters;
      read(p);
    });
  };
  for (auto& p : peers) read(*p);
  io.run_for(4s);
  int slowest = 1 << 30;
  for (const auto& p : peers) {
    EXPECT_FALSE(p->failed);
    slowest = std::min(slowest, p->meters);
  }
  EXPECT_GE(slowest, 20);
  EXPECT_EQ(rig.ws->clients(), static_cast<std::size_t>(kClients));
  EXPECT_EQ(rig.ws->dropped_slow(), 0U);
}

TEST(WebSocket, SlowClientIsDroppedAndOthersKeepGoing) {
  RigOptions options;
  options.ws.max_outbox_messages = 8;
  options.ws.max_outbox_bytes = 64 * 1024;
  Rig rig(options);
  // A peer with a tiny receive buffer that upgrades, subscribes to notes and never reads.
  boost::asio::io_context io;
  boost::beast::websocket::stream<boost::beast::tcp_stream> stalled(io);
  auto& socket = boost::beast::get_lowest_layer(stalled).socket();
  socket.open(boost::asio::ip::tcp::v4());
  socket.set_option(boost::asio::socket_base::receive_buffer_size(4096));
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), rig.http_port()});
  stalled.handshake("127.0.0.1", "/ws");
  stalled.write(boost::asio::buffer(json{{"op", "auth"}, {"token", kEngineerToken}}.dump()));
  stalled.write(boost::asio::buffer(json{{"op", "subscribe"}, {"topics", {"notes"}}}.dump()));
  WsTestClient fast(rig.http_port());
  ASSERT_TRUE(fast.request(auth_request(kEngineerToken)));
  ASSERT_TRUE(fast.request({{"op", "ping"}}));  // both subscriptions are in place

  // 4 KB notes fill the stalled peer's socket, then its outbox of 8.
  const std::string text(4000, 'n');
  for (int i = 0; i < 5000 && rig.ws->dropped_slow() == 0; ++i) {
    rig.on_executor([&] {
      return rig.hub.add_note(Principal{Role::engineer, 0, "engineer", {}},
                              NotePlace{kClientSession, 100, 1.0, {}, {}}, text).ok();
    });
  }
  EXPECT_EQ(rig.ws->dropped_slow(), 1U);
  auto alive = fast.request({{"op", "ping"}});
  ASSERT_TRUE(alive);
  EXPECT_EQ((*alive)["op"], "pong");
  EXPECT_EQ(rig.ws->clients(), 1U);
}

}  // namespace
}  // namespace lacquer::control::testing
