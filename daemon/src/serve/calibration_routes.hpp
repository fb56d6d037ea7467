#pragma once
// The room's calibration over HTTP, engineer only. Examples:
//   GET /api/calibration
//     -> 200 {"microphone":"system:capture_3","measuring":false,
//             "speakers":[{"id":4,"speaker_set":"main","speaker":"left",
//                          "measured_unix_ms":1796000000000,"result":{"delay_ms":3.2,...}}]}
//   POST /api/calibration/measure {"set":"main","speaker":"left"}   (level_dbfs, duration_s)
//     -> 200 {"calibration":{...as above},"applied":{"/monitor/speakers/main/left/trim":0,...}}
//        once measured (a few seconds); 400 with the reason a measurement failed
//        ("no response above the noise floor"), 503 without a microphone or while another runs.
// The changes applied reach every console and surface as ordinary parameter changes.

#include "lacquer/control/http_server.hpp"
#include "serve/api_routes.hpp"
#include "serve/calibration_service.hpp"

namespace lacquer::daemon {

void add_calibration_routes(control::HttpServer& http, ApiContext& api,
                            CalibrationService& calibration);

}  // namespace lacquer::daemon
