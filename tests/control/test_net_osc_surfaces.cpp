// Surfaces that send from one port and listen on another (TouchOSC, Open Stage Control): a
// reply port given with /lacquer/subscribe, or a surface configured at a fixed address.
// The sender is liblo's oscsend, which sends from a new port each time.
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "raw_osc.hpp"
#include "rig.hpp"

namespace lacquer::control::testing {
namespace {

using namespace std::chrono_literals;

void oscsend(std::uint16_t port, const std::string& message) {
  const std::string command = "oscsend localhost " + std::to_string(port) + " " + message;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

std::size_t subscribers(Rig& rig) {
  return rig.on_executor([&] { return rig.osc->subscribers(); });
}

TEST(OscSurfaces, RepliesGoToTheReplyPortNamedAtSubscribe) {
  RigOptions options;
  options.osc = true;
  options.osc_options.lease = 400ms;
  Rig rig(options);
  RawOscPeer listener(rig.osc_port());  // the surface's receiving port; it never sends
  const auto reply_port = std::to_string(listener.local_port());

  oscsend(rig.osc_port(), "/lacquer/subscribe fi 20 " + reply_port);
  const auto ack = listener.wait_for("/lacquer/subscribed", 2s);
  ASSERT_TRUE(ack);
  EXPECT_EQ(std::get<float>(ack->args.at(0)), 20.0F);
  EXPECT_EQ(subscribers(rig), 1U);

  // A change from another send port of the same host reaches the reply port.
  oscsend(rig.osc_port(), "/chain/output/gain f -3.5");
  const auto echo = listener.wait_for("/chain/output/gain", 2s);
  ASSERT_TRUE(echo);
  EXPECT_EQ(std::get<float>(echo->args.at(0)), -3.5F);
  // So do a query's answer and an error, sent from yet other ports.
  oscsend(rig.osc_port(), "/chain/eq/2/freq");
  EXPECT_TRUE(listener.wait_for("/chain/eq/2/freq", 2s));
  oscsend(rig.osc_port(), "/chain/nowhere f 1");
  const auto error = listener.wait_for("/lacquer/error", 2s);
  ASSERT_TRUE(error);
  EXPECT_EQ(std::get<std::string>(error->args.at(0)), "/chain/nowhere");
  // A sender's own socket hears nothing: everything went to the reply port.
  RawOscPeer sender(rig.osc_port());
  sender.send(raw_message("/lacquer/ping", "", {}));
  EXPECT_TRUE(listener.wait_for("/lacquer/pong", 2s));
  EXPECT_FALSE(sender.receive(200ms));

  // Any message from the host renews the lease, whatever port it comes from.
  for (int i = 0; i < 8; ++i) {
    oscsend(rig.osc_port(), "/lacquer/renew");
    std::this_thread::sleep_for(150ms);
  }
  EXPECT_EQ(subscribers(rig), 1U);
  oscsend(rig.osc_port(), "/lacquer/unsubscribe");
  EXPECT_TRUE(listener.wait_for("/lacquer/unsubscribed", 2s));
  EXPECT_EQ(subscribers(rig), 0U);
}

TEST(OscSurfaces, ABadReplyPortIsRefusedToTheSender) {
  RigOptions options;
  options.osc = true;
  Rig rig(options);
  RawOscPeer surface(rig.osc_port());
  for (const std::int32_t port : {0, 70000}) {
    surface.send(raw_message("/lacquer/subscribe", "fi", {10.0F, port}));
    const auto error = surface.wait_for("/lacquer/error", 2s);
    ASSERT_TRUE(error) << port;
    EXPECT_NE(std::get<std::string>(error->args.at(2)).find("reply port"), std::string::npos);
  }
  surface.send(raw_message("/lacquer/subscribe", "fis", {10.0F, std::int32_t{9001}, std::string("x")}));
  EXPECT_TRUE(surface.wait_for("/lacquer/error", 2s));
  EXPECT_EQ(subscribers(rig), 0U);
}

TEST(OscSurfaces, AConfiguredSurfaceIsPushedToFromTheStartAndNeverLapses) {
  RawOscPeer listener(0);
  RigOptions options;
  options.osc = true;
  options.osc_options.lease = 200ms;
  options.osc_options.surfaces = {{"127.0.0.1", listener.local_port(), 20.0}};
  Rig rig(options);
  // Meters arrive without a subscribe, and still after many leases.
  EXPECT_TRUE(listener.wait_for("/meter/out/peak_l", 2s));
  std::this_thread::sleep_for(800ms);
  oscsend(rig.osc_port(), "/lacquer/unsubscribe");  // a configured surface stays
  EXPECT_EQ(subscribers(rig), 1U);
  EXPECT_TRUE(listener.wait_for("/meter/out/peak_l", 2s));
  // Its host's queries are answered at the configured port.
  oscsend(rig.osc_port(), "/chain/output/gain");
  EXPECT_TRUE(listener.wait_for("/chain/output/gain", 2s));
}

TEST(OscSurfaces, ASurfaceOutsideTheAllowListIsAConfigurationError) {
  RigOptions options;
  options.osc = true;
  options.osc_options.surfaces = {{"192.168.1.20", 9001, 10.0}};
  EXPECT_THROW(Rig{options}, std::runtime_error);
}

}  // namespace
}  // namespace lacquer::control::testing
