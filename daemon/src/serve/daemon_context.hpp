#pragma once
// Everything `lacquer serve` runs, owned in one place and wired by cmd_serve.cpp.
// Threads: JACK's process thread (engine + player), the control executor (`io`, one
// thread: HTTP, WebSocket, OSC, database writes), the track and reference workers.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "config.hpp"
#include "audio/jack_backend.hpp"
#include "serve/listen_server.hpp"
#include "audio/listen_tap.hpp"
#include "lacquer/control/http_server.hpp"
#include "lacquer/control/tls_front.hpp"
#include "lacquer/dsp/engine.hpp"
#include "audio/player.hpp"
#include "audio/reference_player.hpp"

namespace lacquer::daemon {

struct DaemonContext {
  explicit DaemonContext(Config cfg);

  Config config;
  boost::asio::io_context io;  ///< the control executor; run by one thread
  dsp::Engine engine;
  Player player;
  ReferencePlayer reference;  ///< the reference track the monitors compare with
  std::unique_ptr<JackBackend> jack;
  ListenTap listen_tap;
  std::unique_ptr<control::HttpServer> http;
  std::unique_ptr<control::TlsFront> tls;  ///< in front of `http` when a certificate is set
  std::unique_ptr<ListenServer> listen;
  /// Run once JACK is joined (the sample rate is known), in order of registration.
  std::vector<std::function<void()>> on_started;
  /// Run on the control executor at shutdown, in reverse order of registration.
  std::vector<std::function<void()>> on_stop;
  /// Lines added to /metrics by the parts wired in (Prometheus text, each ending in '\n').
  std::vector<std::function<std::string()>> metrics;
};

/// "http(s)://HOST:PORT" where the daemon is reached: https with a certificate, and the
/// listening address ("localhost" for a wildcard). Call once ctx.http exists.
std::string public_url(const DaemonContext& ctx);

}  // namespace lacquer::daemon
