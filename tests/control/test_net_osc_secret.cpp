// OSC over TCP with a shared secret: a surface beyond loopback proves itself with its first
// message; UDP stays trusted by address alone.
#include <chrono>

#include <gtest/gtest.h>

#include "raw_osc.hpp"
#include "rig.hpp"

namespace lacquer::control::testing {
namespace {

using namespace std::chrono_literals;

RigOptions with_secret() {
  RigOptions options;
  options.osc = true;
  options.osc_options.tcp_secret = "a-long-random-shared-secret";
  return options;
}

TEST(OscSecret, TcpSurfaceMustSendTheSecretFirst) {
  Rig rig(with_secret());
  RawOscPeer stranger(rig.osc_port(), true);
  stranger.send(raw_message("/lacquer/ping", "", {}));
  EXPECT_FALSE(stranger.receive(500ms));  // closed without an answer

  RawOscPeer guesser(rig.osc_port(), true);
  guesser.send(raw_message("/lacquer/auth", "s", {std::string("a-long-random-shared-secreT")}));
  EXPECT_FALSE(guesser.receive(500ms));

  RawOscPeer surface(rig.osc_port(), true);
  surface.send(raw_message("/lacquer/auth", "s", {std::string("a-long-random-shared-secret")}));
  const auto admitted = surface.wait_for("/lacquer/auth", 2s);
  ASSERT_TRUE(admitted);
  EXPECT_EQ(std::get<std::int32_t>(admitted->args.at(0)), 1);
  surface.send(raw_message("/chain/input/trim", "f", {3.0f}));
  surface.send(raw_message("/lacquer/ping", "", {}));
  EXPECT_TRUE(surface.wait_for("/lacquer/pong", 2s));
  EXPECT_EQ(rig.param("/chain/input/trim"), 3.0);
  EXPECT_GE(rig.osc->refused_source(), 2U);
}

TEST(OscSecret, UdpIsTrustedByAddressAlone) {
  Rig rig(with_secret());
  RawOscPeer udp(rig.osc_port());
  udp.send(raw_message("/lacquer/ping", "", {}));
  EXPECT_TRUE(udp.wait_for("/lacquer/pong", 2s));
}

}  // namespace
}  // namespace lacquer::control::testing
