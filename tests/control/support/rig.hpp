#pragma once
// The control layer wired as the daemon wires it, in-process: a control executor thread,
// an engine fed a sine by an "audio" thread (so meters are real), the hub with fake
// transport and session ports, the HTTP server with /ws, the meter poller, and optionally
// the OSC server — all on free loopback ports.

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "fakes.hpp"
#include "lacquer/control/auth.hpp"
#include "lacquer/control/http_server.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/control/meter_poller.hpp"
#include "lacquer/control/osc_server.hpp"
#include "lacquer/control/ws_server.hpp"
#include "lacquer/dsp/engine.hpp"

namespace lacquer::control::testing {

inline constexpr const char* kEngineerToken = "engineer-token-for-tests";
inline constexpr const char* kClientToken = "client-token-for-tests";
/// The session the client token was invited to (FakeSessions loads session 7).
inline constexpr std::int64_t kClientSession = 7;
/// Peak amplitude of the sine the audio thread plays (-6.02 dBFS).
inline constexpr double kSineAmplitude = 0.5;

struct RigOptions {
  HttpServer::Options http;  ///< address and port are the rig's
  WsServer::Options ws;
  bool osc = false;
  OscServer::Options osc_options;
  double meter_rate_hz = 30.0;
};

class Rig {
 public:
  explicit Rig(RigOptions options = {});
  ~Rig();

  /// Runs `f` on the control executor and waits for it.
  template <class F>
  auto on_executor(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return result.get();
  }

  std::uint16_t http_port() const { return http->port(); }
  std::uint16_t osc_port() const { return osc->port(); }
  double param(const std::string& path) const {
    return engine.params().get(dsp::Schema::instance().id(path));
  }

  boost::asio::io_context io;
  dsp::Engine engine{dsp::Schema::instance()};
  FakeTransport transport;
  FakeSessions sessions;
  Authenticator auth{kEngineerToken};
  ControlHub hub{CommandTable::instance(), engine.params()};
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<WsServer> ws;
  std::unique_ptr<OscServer> osc;
  std::unique_ptr<MeterPoller> poller;

 private:
  std::atomic<bool> running_{true};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread control_thread_;
  std::thread audio_thread_;
};

}  // namespace lacquer::control::testing
