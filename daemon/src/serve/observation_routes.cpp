#include "serve/observation_routes.hpp"

#include <cmath>
#include <cstdio>
#include <string>

namespace lacquer::daemon {

namespace {

using control::ErrorCode;
using control::make_error;
using nlohmann::json;

json observation_json(const session::Observation& o) {
  return {{"id", o.id},
          {"track", o.track_id ? json(*o.track_id) : json(nullptr)},
          {"topic", o.topic},
          {"text", o.text},
          {"created_unix_ms", o.created_unix_ms}};
}

/// 151.24 -> "2:31.2", the console's clock format.
std::string clock_time(double seconds) {
  const double tenths = std::floor(seconds * 10.0 + 0.5);
  const auto minutes = static_cast<long long>(tenths / 600.0);
  char out[32];
  std::snprintf(out, sizeof out, "%lld:%04.1f", minutes, (tenths - minutes * 600.0) / 10.0);
  return out;
}

std::string string_field(const json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

control::Expected<json> post_observation(ApiContext& api, session::Id session_id,
                                         const control::Principal& who, const json& body) {
  if (who.role != control::Role::engineer) return make_error(ErrorCode::forbidden, "engineer only");
  const auto track = body.find("track");
  if (track == body.end() || !track->is_number_integer()) {
    return make_error(ErrorCode::bad_request, "\"track\" is a track id");
  }
  auto t = api.store.track(track->get<session::Id>());
  if (!t.ok() || t->session_id != session_id) {
    return make_error(ErrorCode::not_found, "no such track in this session");
  }
  const auto time = body.find("time_s");
  if (time == body.end() || !time->is_number() || !std::isfinite(time->get<double>()) ||
      time->get<double>() < 0.0) {
    return make_error(ErrorCode::bad_request, "\"time_s\" is a time in seconds, 0 or more");
  }
  const std::string text = string_field(body, "text");
  if (text.empty()) return make_error(ErrorCode::bad_request, "\"text\" is needed");
  auto stored = api.store.add_observation(session_id, t->id, string_field(body, "topic"),
                                          clock_time(time->get<double>()) + " · " + text);
  if (!stored.ok()) return from_store(stored.error());
  return observation_json(*stored);
}

control::Expected<json> list_observations(ApiContext& api, session::Id session_id) {
  auto stored = api.store.observations(session_id);
  if (!stored.ok()) return from_store(stored.error());
  json out = json::array();
  for (const auto& o : *stored) out.push_back(observation_json(o));
  return out;
}

}  // namespace lacquer::daemon
