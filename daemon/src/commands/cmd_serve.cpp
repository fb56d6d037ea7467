// `lacquer serve`: the daemon. JACK engine, control executor, HTTP (and what the control
// layer adds to it), clean shutdown on SIGTERM/SIGINT.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sstream>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#ifdef LACQUER_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "serve/backup_schedule.hpp"
#include "serve/control_wiring.hpp"
#include "serve/daemon_context.hpp"
#include "serve/prometheus.hpp"
#include "lacquer/session/store.hpp"
#include "subcommand.hpp"
#include "serve/web_routes.hpp"

namespace lacquer::daemon {

namespace {

struct ServeOptions {
  std::string config_file;
  std::string http;
  int osc_port = -1;
  std::string db;
  std::string jack_server;
  bool demo = false;
  std::string log_level;
  std::string tls_cert;
  std::string tls_key;
};

constexpr auto kSupervisePeriod = std::chrono::milliseconds(100);

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("lacquer");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

std::string healthz(const DaemonContext& ctx) {
  const JackBackend& jack = *ctx.jack;
  const PlayerStatus transport = ctx.player.status();
  nlohmann::json body = {
      {"status", jack.connected() ? "ok" : "degraded"},
      {"jack",
       {{"connected", jack.connected()},
        {"server", jack.server_name()},
        {"sample_rate", jack.sample_rate()},
        {"period_frames", jack.period_frames()},
        {"xruns", jack.xruns()},
        {"reconnects", jack.reconnects()},
        {"dsp_load_percent", jack.dsp_load_percent()},
        {"process_load", jack.process_load()}}},
      {"chain", {{"latency_frames", ctx.engine.latency_frames()}, {"swaps", ctx.engine.swaps()}}},
      {"process_callback", nullptr},
      {"transport", {{"playing", transport.playing}, {"track", transport.track},
                     {"position_s", transport.position_s}}},
  };
  if (const auto window = jack.callback_window()) {
    body["process_callback"] = {{"window_s", JackBackend::kCallbackWindow.count()},
                                {"callbacks", window->callbacks},
                                {"p50_us", window->p50_us},
                                {"p99_us", window->p99_us},
                                {"p999_us", window->p999_us},
                                {"max_us", window->max_us}};
  }
  return body.dump();
}

// Prometheus histogram of the process callback's durations since the daemon started.
std::string callback_histogram(const CallbackTimes& times) {
  const std::vector<std::uint64_t> counts = times.snapshot();
  std::ostringstream out;
  out << "# HELP lacquer_process_callback_seconds time spent in each JACK process callback\n"
         "# TYPE lacquer_process_callback_seconds histogram\n";
  std::uint64_t below = 0;
  std::size_t bucket = 0;
  for (const int le_us : {25, 50, 100, 200, 400, 800, 1600, 3200, 6400}) {
    for (; bucket < static_cast<std::size_t>(le_us); ++bucket) below += counts[bucket];
    out << "lacquer_process_callback_seconds_bucket{le=\"" << le_us * 1e-6 << "\"} " << below << '\n';
  }
  for (; bucket < counts.size(); ++bucket) below += counts[bucket];
  out << "lacquer_process_callback_seconds_bucket{le=\"+Inf\"} " << below << '\n'
      << "lacquer_process_callback_seconds_sum " << times.total_seconds() << '\n'
      << "lacquer_process_callback_seconds_count " << below << '\n';
  return out.str();
}

std::string metrics(const DaemonContext& ctx) {
  const JackBackend& jack = *ctx.jack;
  std::string out =
      prometheus_metric("jack_connected", "gauge", "1 when joined to the JACK server",
                        jack.connected() ? 1 : 0) +
      prometheus_metric("sample_rate_hz", "gauge", "JACK sample rate", jack.sample_rate()) +
      prometheus_metric("period_frames", "gauge", "JACK period size", jack.period_frames()) +
      prometheus_metric("xruns_total", "counter", "JACK xruns seen",
                        static_cast<double>(jack.xruns())) +
      prometheus_metric("jack_reconnects_total", "counter",
                        "times the daemon rejoined a returned JACK server",
                        static_cast<double>(jack.reconnects())) +
      prometheus_metric("dsp_load_percent", "gauge", "JACK's DSP load", jack.dsp_load_percent()) +
      prometheus_metric("process_load_ratio", "gauge",
                        "share of the period spent in Lacquer's process callback",
                        jack.process_load()) +
      callback_histogram(jack.callback_times()) +
      prometheus_metric("chain_latency_frames", "gauge", "latency of the chain",
                        ctx.engine.latency_frames()) +
      prometheus_metric("chain_swaps_total", "counter", "chains swapped in by the audio thread",
                        static_cast<double>(ctx.engine.swaps())) +
      prometheus_metric("http_connections", "gauge", "open HTTP connections",
                        static_cast<double>(ctx.http->connections())) +
      prometheus_metric("http_connections_max", "gauge",
                        "connections admitted at most (engineers not counted)",
                        static_cast<double>(ctx.http->max_connections())) +
      prometheus_metric("http_evicted_total", "counter",
                        "unauthenticated connections closed to admit newer ones",
                        static_cast<double>(ctx.http->evicted())) +
      prometheus_metric("http_refused_total", "counter",
                        "connections refused: every place held by authenticated ones",
                        static_cast<double>(ctx.http->refused())) +
      prometheus_metric("http_accept_backoffs_total", "counter",
                        "accepts delayed for want of file descriptors",
                        static_cast<double>(ctx.http->accept_backoffs()));
  for (const auto& extra : ctx.metrics) out += extra();
  return out;
}

void add_health_routes(DaemonContext& ctx) {
  ctx.http->route("GET", "/healthz", [&ctx](const control::HttpRequest&) {
    control::HttpResponse r;
    r.status = ctx.jack->connected() ? 200 : 503;
    r.body = healthz(ctx);
    return r;
  });
  ctx.http->route("GET", "/metrics", [&ctx](const control::HttpRequest&) {
    control::HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics(ctx);
    return r;
  });
}

void supervise(DaemonContext& ctx, boost::asio::steady_timer& timer) {
  timer.expires_after(kSupervisePeriod);
  timer.async_wait([&ctx, &timer](const boost::system::error_code& ec) {
    if (ec) return;
    ctx.jack->supervise();
#ifdef LACQUER_HAVE_SYSTEMD
    sd_notify(0, "WATCHDOG=1");
#endif
    supervise(ctx, timer);
  });
}

/// Host names the daemon answers to besides IP literals and localhost: the configured
/// ones and this machine's own name (bare and as mDNS announces it).
std::vector<std::string> served_names(const Config& config) {
  std::vector<std::string> names = config.http_names;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') {
    names.emplace_back(host);
    names.push_back(std::string(host) + ".local");
  }
  return names;
}

/// SIGHUP reads the certificate and key again (a renewed certificate, no restart).
void reload_on_hangup(DaemonContext& ctx, boost::asio::signal_set& hangup) {
  hangup.async_wait([&ctx, &hangup](const boost::system::error_code& ec, int) {
    if (ec) return;
    const std::string error = ctx.tls->reload();
    if (error.empty()) {
      spdlog::info("TLS certificate reloaded (SHA-256 {})", ctx.tls->fingerprint());
    } else {
      spdlog::error("TLS certificate not reloaded, the previous one stays: {}", error);
    }
    reload_on_hangup(ctx, hangup);
  });
}

int serve(const ServeOptions& options) {
  Config config;
  if (!options.config_file.empty()) load_config_file(options.config_file, config);
  if (!options.http.empty()) parse_listen_address(options.http, config.http_address, config.http_port);
  if (options.osc_port >= 0) config.osc_port = static_cast<std::uint16_t>(options.osc_port);
  if (!options.db.empty()) config.db_path = options.db;
  if (config.db_path.empty()) config.db_path = session::default_database_path().string();
  if (!options.jack_server.empty()) config.jack_server = options.jack_server;
  if (options.demo) config.demo = true;
  if (!options.log_level.empty()) config.log_level = options.log_level;
  if (!options.tls_cert.empty()) config.tls_cert = options.tls_cert;
  if (!options.tls_key.empty()) config.tls_key = options.tls_key;
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    throw std::runtime_error("TLS needs both a certificate and a key (--tls-cert, --tls-key)");
  }
  if (const char* token = std::getenv("LACQUER_TOKEN"); token != nullptr && *token != '\0') {
    config.engineer_token = token;
  }
  if (const char* secret = std::getenv("LACQUER_OSC_SECRET"); secret != nullptr && *secret != '\0') {
    config.osc_tcp_secret = secret;
  }
  setup_logging(config.log_level);

  DaemonContext ctx(std::move(config));
  ctx.jack = std::make_unique<JackBackend>(
      JackBackend::Options{ctx.config.jack_client_name, ctx.config.jack_server}, ctx.engine,
      ctx.player);
  // With a certificate the --http port speaks TLS and HTTP listens on loopback behind it.
  std::vector<std::string> names = served_names(ctx.config);
  std::vector<std::pair<std::string, std::string>> response_headers;
  if (!ctx.config.tls_cert.empty()) {
    ctx.tls = std::make_unique<control::TlsFront>(
        ctx.io, control::TlsFront::Options{.address = ctx.config.http_address,
                                           .port = ctx.config.http_port,
                                           .cert_file = ctx.config.tls_cert,
                                           .key_file = ctx.config.tls_key});
    for (const auto& name : ctx.tls->names()) names.push_back(name);
    response_headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
    spdlog::info("TLS certificate {} (SHA-256 {})", ctx.config.tls_cert, ctx.tls->fingerprint());
  }
  ctx.http = std::make_unique<control::HttpServer>(
      ctx.io, control::HttpServer::Options{.address = ctx.tls ? "127.0.0.1" : ctx.config.http_address,
                                           .port = ctx.tls ? std::uint16_t{0} : ctx.config.http_port,
                                           .host_names = names,
                                           .max_connections = ctx.config.http_max_connections,
                                           .max_per_address = ctx.config.http_max_per_address,
                                           .trusted_proxies = ctx.config.trusted_proxies,
                                           .response_headers = response_headers});
  if (ctx.tls) ctx.tls->set_backend_port(ctx.http->port());
  add_health_routes(ctx);
  ctx.jack->set_listen_tap(&ctx.listen_tap);
  ctx.jack->set_reference_player(&ctx.reference);
  ctx.listen = std::make_unique<ListenServer>(
      ctx.io, ctx.listen_tap,
      ListenOptions{.origins = ctx.config.ws_origins, .auth_deadline = auth_deadline(ctx.config)});
  ctx.listen->attach(*ctx.http);
  ctx.metrics.push_back([&ctx] { return ctx.listen->metrics(); });
  attach_control(ctx);  // also gives /listen its authenticator
  add_web_routes(ctx);

  std::unique_ptr<BackupSchedule> backups;
  if (ctx.config.backup_interval_h > 0.0) {
    backups = std::make_unique<BackupSchedule>(
        ctx.io, ctx.config.db_path,
        std::chrono::seconds(static_cast<std::int64_t>(ctx.config.backup_interval_h * 3600.0)));
    backups->start();
    ctx.metrics.push_back([&backups] { return backups->metrics(); });
    ctx.on_stop.push_back([&backups] { backups->stop(); });
  }

  ctx.jack->start();
  for (const auto& started : ctx.on_started) started();

  ctx.http->start();
  if (ctx.tls) ctx.tls->start();
  ctx.listen->start();
  boost::asio::steady_timer supervisor(ctx.io);
  supervise(ctx, supervisor);

  boost::asio::signal_set signals(ctx.io, SIGINT, SIGTERM);
  signals.async_wait([&ctx, &supervisor](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping", signal);
    supervisor.cancel();
    ctx.jack->stop();
    ctx.listen->stop();
    if (ctx.tls) ctx.tls->stop();
    ctx.http->stop();
    for (auto it = ctx.on_stop.rbegin(); it != ctx.on_stop.rend(); ++it) (*it)();
    ctx.io.stop();
  });

  std::optional<boost::asio::signal_set> hangup;
  if (ctx.tls) {
    hangup.emplace(ctx.io, SIGHUP);
    reload_on_hangup(ctx, *hangup);
  }

  const std::string url = public_url(ctx) + "/";
  spdlog::info("serving on {}", url);
  std::printf("Lacquer is running. Open %s\n", url.c_str());
  std::fflush(stdout);
#ifdef LACQUER_HAVE_SYSTEMD
  sd_notify(0, "READY=1");
#endif

  ctx.io.run();
  spdlog::info("stopped");
  return 0;
}

const bool registered = register_subcommand(
    "serve", "Run the daemon: the chain on JACK, control over OSC and HTTP/WebSocket",
    [](CLI::App& app) {
      auto options = std::make_shared<ServeOptions>();
      app.add_option("--config", options->config_file, "TOML configuration file")
          ->check(CLI::ExistingFile);
      app.add_option("--http", options->http, "HTTP listen address ADDR:PORT (127.0.0.1:8080)");
      app.add_option("--osc", options->osc_port, "OSC port, UDP and TCP (9000)")
          ->check(CLI::Range(0, 65535));
      app.add_option("--db", options->db, "SQLite database file");
      app.add_option("--jack-server", options->jack_server, "JACK server name");
      app.add_flag("--demo", options->demo, "Play generated demo material into the chain");
      app.add_option("--tls-cert", options->tls_cert,
                     "PEM certificate: the --http port then speaks TLS (reloaded on SIGHUP)");
      app.add_option("--tls-key", options->tls_key, "PEM private key of --tls-cert");
      app.add_option("--log-level", options->log_level, "trace, debug, info, warn, error")
          ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
      return [options] { return serve(*options); };
    });

}  // namespace

}  // namespace lacquer::daemon
