#pragma once
// Daemon configuration: defaults, then the TOML file (--config), then flags, then the
// environment (LACQUER_TOKEN).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lacquer::daemon {

struct Config {
  std::string http_address = "127.0.0.1";
  std::uint16_t http_port = 8080;
  std::uint16_t osc_port = 9000;
  std::vector<std::string> osc_allow = {"127.0.0.0/8", "::1/128"};  ///< CIDRs
  std::string osc_tcp_secret;  ///< TCP surfaces send it first; empty: address only
  /// Surfaces answered at a fixed address whatever port they send from (host, port).
  std::vector<std::pair<std::string, std::uint16_t>> osc_surfaces;
  std::vector<std::string> ws_origins;  ///< extra allowed Origins beside the served one
  std::vector<std::string> http_names;  ///< Host names answered besides IP literals, localhost
  std::vector<std::string> trusted_proxies;  ///< whose X-Forwarded-For is believed
  std::string tls_cert;                 ///< PEM; with tls_key, the HTTP port speaks TLS
  std::string tls_key;
  std::size_t http_max_connections = 0;     ///< 0: from the descriptor limit
  std::size_t http_max_per_address = 256;
  double auth_deadline_s = 10.0;        ///< /ws and /listen: time to authenticate
  std::vector<std::string> media_folders;  ///< track sources; empty: the database's folder
  double invite_days = 14.0;            ///< invites expire after this; 0: never
  std::string db_path;                  ///< empty: the session store's default
  std::string engineer_token;           ///< empty: generated at first start
  std::string jack_server;              ///< empty: the default server
  std::string jack_client_name = "lacquer";
  std::string calibration_microphone;   ///< JACK port of the measurement microphone; empty: none
  bool demo = false;
  std::string log_level = "info";
  std::string web_root;                 ///< folder of the UI; empty: the installed one
  double backup_interval_h = 24.0;      ///< scheduled online backup; 0 disables
  std::string deliveries_folder;        ///< where the console's deliveries land; empty: <db>.deliveries
};

/// The time /ws and /listen give a connection to authenticate.
inline std::chrono::milliseconds auth_deadline(const Config& config) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(config.auth_deadline_s * 1000.0));
}

/// Reads a TOML file into `config` (keys as the member names, `[http] address/port` etc.).
/// Throws std::runtime_error with the file name and the problem.
void load_config_file(const std::string& path, Config& config);

/// Parses "ADDR:PORT" (or "[v6]:PORT"); throws std::invalid_argument on a bad value.
void parse_listen_address(const std::string& text, std::string& address, std::uint16_t& port);

}  // namespace lacquer::daemon
