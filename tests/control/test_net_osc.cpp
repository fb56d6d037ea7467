// The OSC server with real peers: raw packets written by the test, and liblo's own
// oscsend / oscdump.
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "raw_osc.hpp"
#include "rig.hpp"
#include "ws_client.hpp"

namespace lacquer::control::testing {
namespace {

using namespace std::chrono_literals;

RigOptions with_osc(std::chrono::milliseconds lease = 30s) {
  RigOptions o;
  o.osc = true;
  o.osc_options.lease = lease;
  return o;
}

float f_arg(const RawMessage& m, std::size_t i = 0) { return std::get<float>(m.args.at(i)); }

TEST(Osc, PingOverUdpAndTcpOnTheSamePort) {
  Rig rig(with_osc());
  RawOscPeer udp(rig.osc_port());
  udp.send(raw_message("/lacquer/ping", "", {}));
  EXPECT_TRUE(udp.wait_for("/lacquer/pong", 2s));
  RawOscPeer tcp(rig.osc_port(), true);
  tcp.send(raw_message("/lacquer/ping", "", {}));
  EXPECT_TRUE(tcp.wait_for("/lacquer/pong", 2s));
}

TEST(Osc, SubscriberHearsAChangeMadeOverTheWebSocketInBothForms) {
  Rig rig(with_osc());
  RawOscPeer surface(rig.osc_port());
  surface.send(raw_message("/lacquer/subscribe", "f", {20.0F}));
  auto ack = surface.wait_for("/lacquer/subscribed", 2s);
  ASSERT_TRUE(ack);
  EXPECT_EQ(f_arg(*ack, 0), 20.0F);
  EXPECT_EQ(f_arg(*ack, 1), 30.0F);
  EXPECT_EQ(rig.on_executor([&] { return rig.osc->subscribers(); }), 1U);

  WsTestClient ws(rig.http_port());
  ASSERT_TRUE(ws.request({{"op", "auth"}, {"token", kEngineerToken}}));
  ASSERT_TRUE(ws.request({{"op", "set"}, {"path", "/chain/eq/3/gain"}, {"value", 4.5}}));
  auto value = surface.wait_for("/chain/eq/3/gain", 2s);
  ASSERT_TRUE(value);
  EXPECT_EQ(value->types, "f");
  EXPECT_FLOAT_EQ(f_arg(*value), 4.5F);
  auto norm = surface.wait_for("/chain/eq/3/gain/norm", 2s);
  ASSERT_TRUE(norm);
  EXPECT_FLOAT_EQ(f_arg(*norm), (4.5F + 18.0F) / 36.0F);

  // A switch is echoed as an int, a choice as its name.
  ASSERT_TRUE(ws.request({{"op", "set"}, {"path", "/chain/eq/bypass"}, {"value", true}}));
  auto bypass = surface.wait_for("/chain/eq/bypass", 2s);
  ASSERT_TRUE(bypass);
  EXPECT_EQ(bypass->types, "i");
  EXPECT_EQ(std::get<std::int32_t>(bypass->args[0]), 1);

  // Meters arrive as bundles at about the chosen rate (20 Hz).
  int bundles = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 1s) {
    auto m = surface.wait_for("/meter/out/peak_l", 500ms);
    ASSERT_TRUE(m);
    EXPECT_NEAR(f_arg(*m), 20.0 * std::log10(kSineAmplitude), 0.1);
    ++bundles;
  }
  EXPECT_GE(bundles, 14);
  EXPECT_LE(bundles, 24);
}

TEST(Osc, NormMapsFadersAndQueriesAnswerTheCurrentValue) {
  Rig rig(with_osc());
  RawOscPeer fader(rig.osc_port());
  fader.send(raw_message("/chain/eq/1/freq/norm", "f", {0.5F}));
  // Not subscribed: the sender still gets the applied value, in both forms.
  auto hz = fader.wait_for("/chain/eq/1/freq", 2s);
  ASSERT_TRUE(hz);
  const double expected = std::sqrt(10.0 * 22000.0);  // log taper: geometric mean
  EXPECT_NEAR(f_arg(*hz), expected, 0.01);
  EXPECT_NEAR(rig.param("/chain/eq/1/freq"), std::sqrt(10.0 * 22000.0), 0.01);

  fader.send(raw_message("/chain/comp/ratio", "i", {std::int32_t{50}}));  // clamps to 20
  auto clamped = fader.wait_for("/chain/comp/ratio", 2s);
  ASSERT_TRUE(clamped);
  EXPECT_FLOAT_EQ(f_arg(*clamped), 20.0F);

  fader.send(raw_message("/chain/comp/ratio", "", {}));
  auto q = fader.wait_for("/chain/comp/ratio", 2s);
  ASSERT_TRUE(q);
  EXPECT_FLOAT_EQ(f_arg(*q), 20.0F);
  auto qn = fader.wait_for("/chain/comp/ratio/norm", 2s);
  ASSERT_TRUE(qn);
  EXPECT_FLOAT_EQ(f_arg(*qn), 1.0F);

  fader.send(raw_message("/chain/eq/2/type", "s", {std::string("high_pass")}));
  auto type = fader.wait_for("/chain/eq/2/type", 2s);
  ASSERT_TRUE(type);
  EXPECT_EQ(std::get<std::string>(type->args[0]), "high_pass");
}

TEST(Osc, RefreshSendsTheWholeStateAsBundles) {
  Rig rig(with_osc());
  RawOscPeer surface(rig.osc_port());
  surface.send(raw_message("/lacquer/refresh", "", {}));
  std::size_t messages = 0;
  std::size_t bundles = 0;
  std::optional<std::int32_t> announced;
  while (!announced) {
    auto packet = surface.receive(2s);
    ASSERT_TRUE(packet);
    auto decoded = raw_decode(*packet);
    ASSERT_TRUE(decoded);
    for (const auto& m : *decoded) {
      if (m.path == "/lacquer/refreshed") {
        announced = std::get<std::int32_t>(m.args[0]);
      } else {
        ++messages;
      }
    }
    bundles += (*packet)[0] == '#';
  }
  EXPECT_EQ(messages, static_cast<std::size_t>(*announced));
  // Every schema parameter twice (value and /norm) plus the transport and note paths.
  EXPECT_GE(messages, 2 * dsp::Schema::instance().size());
  EXPECT_GT(bundles, 1U);
}

TEST(Osc, LeaseExpiresWithoutTrafficAndRenewKeepsIt) {
  Rig rig(with_osc(400ms));
  RawOscPeer kept(rig.osc_port());
  RawOscPeer silent(rig.osc_port());
  for (auto* p : {&kept, &silent}) {
    p->send(raw_message("/lacquer/subscribe", "i", {std::int32_t{10}}));
    ASSERT_TRUE(p->wait_for("/lacquer/subscribed", 2s));
  }
  for (int i = 0; i < 8; ++i) {
    std::this_thread::sleep_for(100ms);
    kept.send(raw_message("/lacquer/renew", "", {}));
  }
  EXPECT_EQ(rig.on_executor([&] { return rig.osc->subscribers(); }), 1U);
  // The silent one hears nothing more; the renewing one still gets meters.
  while (silent.receive(50ms)) {
  }
  EXPECT_FALSE(silent.wait_for("/meter/out/peak_l", 500ms));
  EXPECT_TRUE(kept.wait_for("/meter/out/peak_l", 500ms));
  silent.send(raw_message("/lacquer/renew", "", {}));
  auto err = silent.wait_for("/lacquer/error", 2s);
  ASSERT_TRUE(err);
  EXPECT_EQ(std::get<std::string>(err->args[1]), "not_found");
}

TEST(Osc, SourcesOutsideTheAllowListAreIgnored) {
  RigOptions o = with_osc();
  o.osc_options.allow = {"10.0.0.0/8", "fd00::/8"};
  Rig rig(o);
  RawOscPeer outsider(rig.osc_port());
  outsider.send(raw_message("/lacquer/ping", "", {}));
  outsider.send(raw_message("/chain/output/gain", "f", {-6.0F}));
  EXPECT_FALSE(outsider.receive(500ms));
  EXPECT_EQ(rig.param("/chain/output/gain"), 0.0);
  EXPECT_EQ(rig.osc->refused_source(), 2U);
  // TCP connections are refused at accept.
  RawOscPeer tcp(rig.osc_port(), true);
  tcp.send(raw_message("/lacquer/ping", "", {}));
  EXPECT_FALSE(tcp.receive(500ms));
}

TEST(Osc, GarbageIsDroppedAndTheServerKeepsAnswering) {
  Rig rig(with_osc());
  RawOscPeer peer(rig.osc_port());
  std::mt19937 rng(5);
  std::vector<std::vector<std::uint8_t>> garbage;
  for (int i = 0; i < 50; ++i) {
    std::vector<std::uint8_t> p(4 * (1 + rng() % 64));
    for (auto& b : p) b = static_cast<std::uint8_t>(rng());
    garbage.push_back(p);
  }
  garbage.push_back({'/', 'x', 0});                                    // not 4-aligned
  garbage.push_back(raw_message("/chain/input/trim", "f", {}));        // argument missing
  garbage.push_back(raw_message("no-slash", "f", {1.0F}));
  garbage.push_back(raw_message("/chain/input/trim", "s", {std::string(60000, 'A')}));
  auto truncated = raw_message("/chain/input/trim", "f", {1.0F});
  truncated.resize(truncated.size() - 4);
  garbage.push_back(truncated);
  auto nested = raw_message("/lacquer/ping", "", {});
  for (int depth = 0; depth < 30; ++depth) nested = raw_bundle({nested});
  garbage.push_back(nested);                                           // bundles 30 deep
  auto lying = raw_bundle({raw_message("/lacquer/ping", "", {})});
  lying[19] = 0xFF;                                                    // element size too big
  garbage.push_back(lying);
  for (const auto& g : garbage) peer.send(g);

  peer.send(raw_message("/lacquer/ping", "", {}));
  EXPECT_TRUE(peer.wait_for("/lacquer/pong", 2s));
  EXPECT_GE(rig.osc->malformed(), 50U);
  EXPECT_EQ(rig.param("/chain/input/trim"), 0.0);

  // Wrong type tags are refused with an error to the sender.
  peer.send(raw_message("/chain/input/trim", "b", {std::string("\0\0\0\0", 4)}));
  auto err = peer.wait_for("/lacquer/error", 2s);
  ASSERT_TRUE(err);
  EXPECT_EQ(std::get<std::string>(err->args[1]), "invalid_value");

  // A nested bundle within the depth limit is taken.
  auto ok = raw_message("/lacquer/ping", "", {});
  for (int depth = 0; depth < 4; ++depth) ok = raw_bundle({ok});
  peer.send(ok);
  EXPECT_TRUE(peer.wait_for("/lacquer/pong", 2s));
}

TEST(Osc, NanAndInfinityAreRefusedWithAnErrorToTheSenderOnly) {
  Rig rig(with_osc());
  RawOscPeer sender(rig.osc_port());
  RawOscPeer surface(rig.osc_port());
  surface.send(raw_message("/lacquer/subscribe", "", {}));
  ASSERT_TRUE(surface.wait_for("/lacquer/subscribed", 2s));
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    sender.send(raw_message("/chain/input/trim", "f", {bad}));
    auto err = sender.wait_for("/lacquer/error", 2s);
    ASSERT_TRUE(err);
    EXPECT_EQ(std::get<std::string>(err->args[0]), "/chain/input/trim");
    EXPECT_EQ(std::get<std::string>(err->args[1]), "invalid_value");
  }
  EXPECT_EQ(rig.param("/chain/input/trim"), 0.0);
  sender.send(raw_message("/chain/unknown", "f", {1.0F}));
  auto unknown = sender.wait_for("/lacquer/error", 2s);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(std::get<std::string>(unknown->args[1]), "unknown_path");
  // The subscriber heard no error and no change: only meters and transport.
  const auto until = std::chrono::steady_clock::now() + 300ms;
  while (std::chrono::steady_clock::now() < until) {
    auto p = surface.receive(100ms);
    if (!p) continue;
    const auto decoded = raw_decode(*p);
    ASSERT_TRUE(decoded);
    for (const auto& m : *decoded) {
      EXPECT_TRUE(m.path.starts_with("/meter/") || m.path.starts_with("/transport/")) << m.path;
    }
  }
}

TEST(Osc, PerSourceRateLimit) {
  RigOptions o = with_osc();
  o.osc_options.messages_per_s = 50.0;
  o.osc_options.message_burst = 20.0;
  Rig rig(o);
  RawOscPeer flood(rig.osc_port());
  for (int i = 0; i < 200; ++i) flood.send(raw_message("/lacquer/ping", "", {}));
  int pongs = 0;
  while (flood.wait_for("/lacquer/pong", 300ms)) ++pongs;
  EXPECT_GE(pongs, 20);
  EXPECT_LE(pongs, 40);  // burst of 20 plus at most 50/s while the flood lasted
  EXPECT_GE(rig.osc->rate_limited(), 160U);
}

/// Runs a shell command and returns its standard output.
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  while (const std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

TEST(Osc, LibloToolsInteroperate) {
  Rig rig(with_osc());
  // oscsend (liblo) sets a value.
  run("oscsend localhost " + std::to_string(rig.osc_port()) + " /chain/output/gain f -4.5");
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (rig.param("/chain/output/gain") != -4.5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(rig.param("/chain/output/gain"), -4.5);

  // oscdump (liblo) reads what the server sends: a subscriber relays its packets to it.
  RawOscPeer probe(0);
  const std::uint16_t dump_port = static_cast<std::uint16_t>(probe.local_port() + 1);
  const std::string out_file = ::testing::TempDir() + "/oscdump.txt";
  std::thread dump([&] {
    run("timeout 3 oscdump -L " + std::to_string(dump_port) + " > " + out_file + " 2>&1");
  });
  std::this_thread::sleep_for(500ms);
  RawOscPeer surface(rig.osc_port());
  surface.send(raw_message("/lacquer/subscribe", "", {}));
  ASSERT_TRUE(surface.wait_for("/lacquer/subscribed", 2s));
  rig.on_executor([&] {
    return rig.hub.execute(Command{"/chain/eq/5/gain", 2.0, Origin::internal, Role::engineer}).ok();
  });
  int relayed = 0;
  while (auto p = surface.receive(300ms)) {
    RawOscPeer relay(dump_port);
    relay.send(*p);
    if (++relayed > 20) break;
  }
  dump.join();
  const std::string dumped = run("cat " + out_file);
  EXPECT_NE(dumped.find("/chain/eq/5/gain f 2"), std::string::npos) << dumped;
  EXPECT_NE(dumped.find("/chain/eq/5/gain/norm f 0.55"), std::string::npos) << dumped;
  EXPECT_NE(dumped.find("/meter/out/peak_l f"), std::string::npos) << dumped;
}

}  // namespace
}  // namespace lacquer::control::testing
