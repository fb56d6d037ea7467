#include "config.hpp"

#include <charconv>
#include <stdexcept>

#include <toml++/toml.h>

namespace lacquer::daemon {

namespace {

std::uint16_t to_port(std::int64_t value, const std::string& what) {
  if (value < 0 || value > 65535) {
    throw std::invalid_argument(what + " must be a port number 0-65535");
  }
  return static_cast<std::uint16_t>(value);
}

std::size_t to_count(std::int64_t value, const std::string& what) {
  if (value < 1 || value > 1'000'000) throw std::invalid_argument(what + " must be 1-1000000");
  return static_cast<std::size_t>(value);
}

std::vector<std::string> string_list(const toml::node_view<toml::node>& node,
                                     const std::string& what) {
  std::vector<std::string> out;
  const auto* array = node.as_array();
  if (array == nullptr) throw std::invalid_argument(what + " must be an array of strings");
  for (const auto& item : *array) {
    const auto value = item.value<std::string>();
    if (!value) throw std::invalid_argument(what + " must be an array of strings");
    out.push_back(*value);
  }
  return out;
}

}  // namespace

void parse_listen_address(const std::string& text, std::string& address, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    throw std::invalid_argument("expected ADDR:PORT, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int value = -1;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  const auto [end, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || end != last || value < 0 || value > 65535) {
    throw std::invalid_argument("bad port in '" + text + "'");
  }
  address = host.empty() ? "0.0.0.0" : host;
  port = static_cast<std::uint16_t>(value);
}

void load_config_file(const std::string& path, Config& config) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw std::runtime_error("config " + path + ":" + std::to_string(where.line) + ":" +
                             std::to_string(where.column) + ": " + std::string(e.description()));
  }
  try {
    if (auto v = table["http"]["address"].value<std::string>()) config.http_address = *v;
    if (auto v = table["http"]["port"].value<std::int64_t>()) {
      config.http_port = to_port(*v, "http.port");
    }
    if (table["http"]["origins"]) config.ws_origins = string_list(table["http"]["origins"], "http.origins");
    if (auto v = table["http"]["web_root"].value<std::string>()) config.web_root = *v;
    if (table["http"]["names"]) config.http_names = string_list(table["http"]["names"], "http.names");
    if (auto v = table["http"]["tls_cert"].value<std::string>()) config.tls_cert = *v;
    if (auto v = table["http"]["tls_key"].value<std::string>()) config.tls_key = *v;
    if (table["http"]["trusted_proxies"]) {
      config.trusted_proxies = string_list(table["http"]["trusted_proxies"], "http.trusted_proxies");
    }
    if (auto v = table["http"]["max_connections"].value<std::int64_t>()) {
      config.http_max_connections = to_count(*v, "http.max_connections");
    }
    if (auto v = table["http"]["max_per_address"].value<std::int64_t>()) {
      config.http_max_per_address = to_count(*v, "http.max_per_address");
    }
    if (auto v = table["http"]["auth_deadline_s"].value<double>()) {
      if (!(*v > 0.0 && *v <= 3600.0)) {
        throw std::invalid_argument("http.auth_deadline_s must be in (0, 3600] seconds");
      }
      config.auth_deadline_s = *v;
    }
    if (table["media"]["folders"]) {
      config.media_folders = string_list(table["media"]["folders"], "media.folders");
    }
    if (auto v = table["osc"]["port"].value<std::int64_t>()) config.osc_port = to_port(*v, "osc.port");
    if (table["osc"]["allow"]) config.osc_allow = string_list(table["osc"]["allow"], "osc.allow");
    if (auto v = table["osc"]["tcp_secret"].value<std::string>()) config.osc_tcp_secret = *v;
    if (table["osc"]["surfaces"]) {
      for (const auto& text : string_list(table["osc"]["surfaces"], "osc.surfaces")) {
        std::string host;
        std::uint16_t port = 0;
        try {
          parse_listen_address(text, host, port);
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument(std::string("osc.surfaces: ") + e.what());
        }
        if (port == 0) throw std::invalid_argument("osc.surfaces: '" + text + "' needs a port");
        config.osc_surfaces.emplace_back(host, port);
      }
    }
    if (auto v = table["database"]["path"].value<std::string>()) config.db_path = *v;
    if (auto v = table["deliver"]["folder"].value<std::string>()) config.deliveries_folder = *v;
    if (auto v = table["database"]["backup_interval_h"].value<double>()) {
      config.backup_interval_h = *v;
    }
    if (auto v = table["auth"]["engineer_token"].value<std::string>()) config.engineer_token = *v;
    if (auto v = table["auth"]["invite_days"].value<double>()) {
      if (!(*v >= 0.0 && *v <= 3650.0)) throw std::invalid_argument("auth.invite_days must be 0-3650");
      config.invite_days = *v;
    }
    if (auto v = table["jack"]["server"].value<std::string>()) config.jack_server = *v;
    if (auto v = table["jack"]["client_name"].value<std::string>()) config.jack_client_name = *v;
    if (auto v = table["calibration"]["microphone"].value<std::string>()) {
      config.calibration_microphone = *v;
    }
    if (auto v = table["log"]["level"].value<std::string>()) config.log_level = *v;
    if (auto v = table["demo"].value<bool>()) config.demo = *v;
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("config " + path + ": " + e.what());
  }
}

}  // namespace lacquer::daemon
