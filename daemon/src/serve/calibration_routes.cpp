#include "serve/calibration_routes.hpp"

namespace lacquer::daemon {

namespace {

using control::ErrorCode;
using control::HttpRequest;
using control::make_error;
using nlohmann::json;

control::Expected<control::Principal> engineer(ApiContext& api, const HttpRequest& req) {
  auto who = api_caller(api, req);
  if (!who.ok()) return who;
  if (who->role != control::Role::engineer) {
    return make_error(ErrorCode::forbidden, "engineer only");
  }
  return who;
}

control::Expected<CalibrationRequest> parse_request(const HttpRequest& req) {
  if (req.body.size() > kApiBodyLimitBytes) {
    return make_error(ErrorCode::bad_request, "request body too large");
  }
  const json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return make_error(ErrorCode::bad_request, "the body is a JSON object");
  }
  CalibrationRequest r;
  for (auto [key, field] : {std::pair{"set", &r.speaker_set}, std::pair{"speaker", &r.speaker}}) {
    if (!body.contains(key)) continue;
    if (!body[key].is_string()) {
      return make_error(ErrorCode::invalid_value, std::string(key) + " is a string");
    }
    *field = body[key].get<std::string>();
  }
  if (body.contains("verify")) {
    if (!body["verify"].is_boolean()) return make_error(ErrorCode::invalid_value, "verify is true or false");
    r.verify = body["verify"].get<bool>();
  }
  for (auto [key, field] :
       {std::pair{"level_dbfs", &r.level_dbfs}, std::pair{"duration_s", &r.duration_s}}) {
    if (!body.contains(key)) continue;
    if (!body[key].is_number()) {
      return make_error(ErrorCode::invalid_value, std::string(key) + " is a number");
    }
    *field = body[key].get<double>();
  }
  return r;
}

}  // namespace

void add_calibration_routes(control::HttpServer& http, ApiContext& api,
                            CalibrationService& calibration) {
  http.route("GET", "/api/calibration", [&api, &calibration](const HttpRequest& req) {
    auto who = engineer(api, req);
    if (!who.ok()) return api_error(who.error());
    auto latest = calibration.latest();
    return latest.ok() ? api_json(*latest) : api_error(latest.error());
  });
  http.route_async(
      "POST", "/api/calibration/measure",
      [&api, &calibration](const HttpRequest& req, const control::HttpResponder& respond) {
        auto who = engineer(api, req);
        if (!who.ok()) return respond(api_error(who.error()));
        auto request = parse_request(req);
        if (!request.ok()) return respond(api_error(request.error()));
        calibration.measure(*request, [respond](control::Expected<json> result) {
          respond(result.ok() ? api_json(*result) : api_error(result.error()));
        });
      });
}

}  // namespace lacquer::daemon
