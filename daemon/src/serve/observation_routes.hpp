#pragma once
// Observations the engineer reports back to the client ("click at 2:31, right channel"),
// filed from the console's QC marks: POST and GET /api/sessions/ID/observations.

#include <nlohmann/json.hpp>

#include "serve/api_routes.hpp"

namespace lacquer::daemon {

/// POST body {track, time_s, text, topic?}: the observation is stored with its time in
/// front of the text ("2:31.2 · ..."), the topic grouping it (the event's type). Engineer only;
/// returns the stored observation.
control::Expected<nlohmann::json> post_observation(ApiContext& api, session::Id session_id,
                                                   const control::Principal& who,
                                                   const nlohmann::json& body);

/// The session's observations, oldest first.
control::Expected<nlohmann::json> list_observations(ApiContext& api, session::Id session_id);

}  // namespace lacquer::daemon
