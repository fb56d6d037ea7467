#pragma once
// The album of a session over HTTP (docs/DESIGN.md, "The album"): the release metadata,
// each track's album fields and the order of tracks, validated by session/album.hpp.
// Every change is followed by a push {"op":"album","session_id":ID} so consoles re-fetch.
// Examples:
//   GET /api/sessions/3/album
//     -> 200 {"session_id":3,"title":"Night Drive",...,"tracks":[...],"spread":{...}}
//   PATCH /api/sessions/3/album {"catalogue":"5012345678901"}
//     -> 400 {"error":"catalogue: '5012345678901' fails the EAN-13 check digit ..."}
//   PATCH /api/sessions/3/tracks/11 {"isrc":"GBAYE2600001","pregap_s":2} -> 200 album
//   PUT /api/sessions/3/album/order {"track_ids":[12,11,13]} -> 200 album
// and the same over the WebSocket (engineer only), each replying {"op":OP,"ok":true,"album":{...}}:
//   {"op":"album","session":3}
//   {"op":"album.set","session":3,"fields":{"catalogue":"5012345678900"}}
//   {"op":"album.track","session":3,"track":11,"fields":{"isrc":"GBAYE2600001"}}
//   {"op":"album.order","session":3,"track_ids":[12,11,13]}

#include <functional>

#include <nlohmann/json.hpp>

#include "lacquer/control/ws_protocol.hpp"

#include "serve/api_routes.hpp"

namespace lacquer::daemon {

/// The album's JSON (session::album_json without the chain states).
control::Expected<nlohmann::json> get_album(ApiContext& api, session::Id session_id);

/// Body: any of {title, artist, year (integer or null), label, catalogue}.
control::Expected<nlohmann::json> patch_album(ApiContext& api, session::Id session_id,
                                              const nlohmann::json& body);

/// Body: any of {title, performer, songwriter, isrc, pregap_s, crossfade_s, side,
/// snapshot_id (integer or null)}; the track must belong to the session.
control::Expected<nlohmann::json> patch_album_track(ApiContext& api, session::Id session_id,
                                                    session::Id track_id,
                                                    const nlohmann::json& body);

/// Body: {"track_ids": [every track id of the session, in the new order]}.
control::Expected<nlohmann::json> put_album_order(ApiContext& api, session::Id session_id,
                                                  const nlohmann::json& body);

/// The album.* WebSocket ops above; `api` gives the context when an op runs.
control::WsOps album_ws_ops(std::function<ApiContext&()> api);

}  // namespace lacquer::daemon
