#include "rig.hpp"

#include <chrono>
#include <cmath>
#include <numbers>
#include <vector>

namespace lacquer::control::testing {

namespace {
constexpr double kRate = 48000.0;
constexpr std::uint32_t kBlock = 256;
}  // namespace

Rig::Rig(RigOptions options) {
  auth.set_lookup([](std::string_view token) -> Expected<Principal> {
    if (token == kClientToken) return Principal{Role::client, 5, "artist", {kClientSession}};
    return make_error(ErrorCode::unauthorized, "unknown token");
  });
  hub.set_transport(&transport);
  hub.set_sessions(&sessions);
  hub.set_engine(&engine);
  engine.rebuild(kRate);

  options.http.address = "127.0.0.1";
  options.http.port = 0;
  http = std::make_unique<HttpServer>(io, options.http);
  ws = std::make_unique<WsServer>(io, hub, auth, options.ws);
  http->upgrade_route("/ws", [this](boost::asio::ip::tcp::socket socket, auto request,
                                    auto ticket) {
    ws->handle_upgrade(std::move(socket), std::move(request), std::move(ticket));
  });
  hub.add_listener(ws.get());
  poller = std::make_unique<MeterPoller>(
      io, [this](dsp::MeterSnapshot& m) { return engine.read_meters(m); }, hub,
      options.meter_rate_hz);
  poller->add_sink(ws.get());
  if (options.osc) {
    options.osc_options.port = 0;
    osc = std::make_unique<OscServer>(io, hub, options.osc_options);
    hub.add_listener(osc.get());
    poller->add_sink(osc.get());
    osc->start();
  }
  http->start();
  poller->start();
  work_.emplace(io.get_executor());
  control_thread_ = std::thread([this] { io.run(); });

  // The "audio" thread: a 1 kHz sine in blocks at about real time, so meters move.
  audio_thread_ = std::thread([this] {
    std::vector<float> left(kBlock), right(kBlock), out_l(kBlock), out_r(kBlock), mon_l(kBlock),
        mon_r(kBlock);
    std::uint64_t n = 0;
    while (running_.load()) {
      for (std::uint32_t i = 0; i < kBlock; ++i, ++n) {
        const double phase = 2.0 * std::numbers::pi * 1000.0 * static_cast<double>(n) / kRate;
        left[i] = right[i] = static_cast<float>(kSineAmplitude * std::sin(phase));
      }
      const float* in[2] = {left.data(), right.data()};
      float* out[2] = {out_l.data(), out_r.data()};
      float* mon[2] = {mon_l.data(), mon_r.data()};
      engine.process(in, out, mon, kBlock);
      std::this_thread::sleep_for(std::chrono::microseconds(5333));
    }
  });
}

Rig::~Rig() {
  running_.store(false);
  audio_thread_.join();
  on_executor([this] {
    poller->stop();
    if (osc) osc->stop();
    ws->stop();
    http->stop();
    return 0;
  });
  work_.reset();
  io.stop();
  control_thread_.join();
}

}  // namespace lacquer::control::testing
