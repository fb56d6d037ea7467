#include "serve/album_routes.hpp"

#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "lacquer/session/album.hpp"

namespace lacquer::daemon {

namespace {

using control::ErrorCode;
using control::Expected;
using control::make_error;
using nlohmann::json;

control::Error refused(std::string_view field, const std::string& rule) {
  return make_error(ErrorCode::bad_request, std::string(field) + ": " + rule);
}

// The body's fields, read by type; the first wrong type or unknown key is kept as the
// refusal, so a misspelt field is not silently ignored.
class Body {
 public:
  Body(const json& body, std::initializer_list<const char*> fields) : body_(body) {
    for (const auto& [key, value] : body.items()) {
      bool known = false;
      for (const char* f : fields) known = known || key == f;
      if (!known && !error_) {
        std::string list;
        for (const char* f : fields) list += (list.empty() ? "" : ", ") + std::string(f);
        error_ = refused(key, "is not a field here (" + list + ")");
      }
    }
  }

  std::optional<std::string> text(const char* key) {
    const auto it = body_.find(key);
    if (it == body_.end()) return std::nullopt;
    if (!it->is_string()) return wrong(key, "a string");
    return it->get<std::string>();
  }

  std::optional<double> number(const char* key) {
    const auto it = body_.find(key);
    if (it == body_.end()) return std::nullopt;
    if (!it->is_number()) return wrong(key, "a number");
    return it->get<double>();
  }

  /// An integer or null (a held nullopt): a year, a snapshot id.
  template <class T>
  std::optional<std::optional<T>> integer_or_null(const char* key) {
    const auto it = body_.find(key);
    if (it == body_.end()) return std::nullopt;
    if (it->is_null()) return std::optional<std::optional<T>>(std::in_place, std::nullopt);
    if (!it->is_number_integer() || it->get<std::int64_t>() > std::numeric_limits<T>::max() ||
        it->get<std::int64_t>() < std::numeric_limits<T>::min()) {
      return wrong(key, "an integer or null");
    }
    return std::optional<T>(it->get<T>());
  }

  const std::optional<control::Error>& error() const { return error_; }

 private:
  std::nullopt_t wrong(const char* key, const char* type) {
    if (!error_) error_ = refused(key, std::string("must be ") + type);
    return std::nullopt;
  }
  const json& body_;
  std::optional<control::Error> error_;
};

// The album after a change, pushed to the session's consoles first.
Expected<json> changed(ApiContext& api, session::Id session_id) {
  if (api.album_changed) api.album_changed(session_id);
  return get_album(api, session_id);
}

}  // namespace

Expected<json> get_album(ApiContext& api, session::Id session_id) {
  auto album = session::album_json(api.store, session_id, /*with_snapshots=*/false);
  if (!album.ok()) return from_store(album.error());
  return *album;
}

Expected<json> patch_album(ApiContext& api, session::Id session_id, const json& body) {
  Body b(body, {"title", "artist", "year", "label", "catalogue"});
  session::ReleaseUpdate u{.title = b.text("title"),
                           .artist = b.text("artist"),
                           .year = b.integer_or_null<int>("year"),
                           .label = b.text("label"),
                           .catalogue = b.text("catalogue")};
  if (b.error()) return *b.error();
  auto updated = api.store.update_release(session_id, u);
  if (!updated.ok()) return from_store(updated.error());
  return changed(api, session_id);
}

Expected<json> patch_album_track(ApiContext& api, session::Id session_id, session::Id track_id,
                                 const json& body) {
  auto track = api.store.track(track_id);
  if (!track.ok() || track->session_id != session_id) {
    return make_error(ErrorCode::not_found, "no such track in this session");
  }
  Body b(body, {"title", "performer", "songwriter", "isrc", "pregap_s", "crossfade_s", "side",
                "snapshot_id"});
  session::TrackUpdate u{.title = b.text("title"),
                         .performer = b.text("performer"),
                         .songwriter = b.text("songwriter"),
                         .isrc = b.text("isrc"),
                         .pregap_s = b.number("pregap_s"),
                         .crossfade_s = b.number("crossfade_s"),
                         .side = b.text("side"),
                         .snapshot_id = b.integer_or_null<session::Id>("snapshot_id")};
  if (b.error()) return *b.error();
  auto updated = api.store.update_track(track_id, u);
  if (!updated.ok()) return from_store(updated.error());
  return changed(api, session_id);
}

Expected<json> put_album_order(ApiContext& api, session::Id session_id, const json& body) {
  const auto ids = body.find("track_ids");
  if (ids == body.end() || !ids->is_array()) {
    return refused("track_ids", "is an array of every track id of the session in the new order");
  }
  std::vector<session::Id> order;
  for (const auto& id : *ids) {
    if (!id.is_number_integer()) return refused("track_ids", "holds track ids (integers)");
    order.push_back(id.get<session::Id>());
  }
  auto reordered = api.store.reorder_tracks(session_id, order);
  if (!reordered.ok()) return from_store(reordered.error());
  return changed(api, session_id);
}

namespace {

/// The request's integer `key`, refused with its name when missing or not an integer.
Expected<session::Id> id_field(const json& request, const char* key) {
  const auto it = request.find(key);
  if (it == request.end() || !it->is_number_integer()) return refused(key, "is an integer id");
  return it->get<session::Id>();
}

/// The request's object `fields` (what the HTTP route takes as its body).
Expected<json> fields_of(const json& request) {
  const auto it = request.find("fields");
  if (it == request.end() || !it->is_object()) return refused("fields", "is an object of the album's fields");
  return *it;
}

/// The op's reply: {"album": the album after it}.
Expected<json> album_reply(Expected<json> album) {
  if (!album.ok()) return album.error();
  return json{{"album", std::move(*album)}};
}

}  // namespace

control::WsOps album_ws_ops(std::function<ApiContext&()> api) {
  const auto op = [api](auto run) {
    return control::WsOp{control::Role::engineer, [api, run](const control::Principal&, const json& request) {
                           auto session_id = id_field(request, "session");
                           if (!session_id.ok()) return Expected<json>(session_id.error());
                           return album_reply(run(api(), *session_id, request));
                         }};
  };
  control::WsOps ops;
  ops["album"] = op([](ApiContext& a, session::Id id, const json&) { return get_album(a, id); });
  ops["album.set"] = op([](ApiContext& a, session::Id id, const json& request) -> Expected<json> {
    auto fields = fields_of(request);
    if (!fields.ok()) return fields.error();
    return patch_album(a, id, *fields);
  });
  ops["album.track"] = op([](ApiContext& a, session::Id id, const json& request) -> Expected<json> {
    auto track = id_field(request, "track");
    if (!track.ok()) return track.error();
    auto fields = fields_of(request);
    if (!fields.ok()) return fields.error();
    return patch_album_track(a, id, *track, *fields);
  });
  ops["album.order"] = op([](ApiContext& a, session::Id id, const json& request) { return put_album_order(a, id, request); });
  return ops;
}

}  // namespace lacquer::daemon
