#include "serve/api_routes.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/control/ws_protocol.hpp"
#include "lacquer/session/feedback.hpp"
#include "lacquer/session/note_export.hpp"
#include "serve/album_routes.hpp"
#include "serve/delivery_routes.hpp"
#include "serve/observation_routes.hpp"

namespace lacquer::daemon {

namespace {

using control::ErrorCode;
using control::Expected;
using control::HttpRequest;
using control::HttpResponse;
using control::make_error;
using control::Principal;
using control::Role;
using nlohmann::json;

unsigned status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
    case ErrorCode::invalid_value:
    case ErrorCode::unknown_path: return 400;
    case ErrorCode::unauthorized: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::rate_limited: return 429;
    case ErrorCode::unavailable: return 503;
    case ErrorCode::internal: break;
  }
  return 500;
}

HttpResponse reply(const json& body, unsigned status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

HttpResponse fail(const control::Error& e) {
  HttpResponse r = reply(control::error_json(e), status_of(e.code));
  if (e.code == ErrorCode::unauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

HttpResponse text(std::string body, std::string type, std::string filename) {
  HttpResponse r;
  r.content_type = std::move(type);
  r.body = std::move(body);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  return r;
}

Expected<Principal> bearer(ApiContext& api, const HttpRequest& req) {
  const std::string header = req.header("authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (!header.starts_with(kScheme)) {
    return make_error(ErrorCode::unauthorized, "send Authorization: Bearer TOKEN");
  }
  return api.auth.authenticate(std::string_view(header).substr(kScheme.size()),
                               req.remote_address, control::Clock::now());
}

Expected<json> body_object(const HttpRequest& req) {
  if (req.body.size() > kApiBodyLimitBytes) {
    return make_error(ErrorCode::bad_request, "request body too large");
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return make_error(ErrorCode::bad_request, "the body is a JSON object");
  }
  return body;
}

std::string string_or(const json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// "/api/sessions/12/notes.csv" -> {"12", "notes.csv"}.
std::vector<std::string> segments_after(const std::string& path, std::string_view prefix) {
  std::vector<std::string> out;
  std::string_view rest = std::string_view(path).substr(prefix.size());
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    out.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return out;
}

std::optional<session::Id> parse_id(const std::string& s) {
  session::Id id = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || end != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

json session_json(const session::Session& s) {
  return {{"id", s.id},         {"title", s.title},   {"artist", s.artist},
          {"client", s.client}, {"studio", s.studio}, {"status", session::to_string(s.status)},
          {"created_unix_ms", s.created_unix_ms}};
}

json track_json(const session::Track& t) {
  return {{"id", t.id},       {"position", t.position}, {"file", t.file_path},
          {"title", t.title}, {"isrc", t.isrc},         {"target", t.target},
          {"snapshot_id", t.snapshot_id ? json(*t.snapshot_id) : json(nullptr)}};
}

/// A query value as `application/x-www-form-urlencoded` writes it: '+' is a space, %XX a
/// byte; nothing for a malformed escape.
std::optional<std::string> form_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] != '%') {
      out += in[i];
    } else {
      if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
        return std::nullopt;
      }
      unsigned byte = 0;
      std::from_chars(in.data() + i + 1, in.data() + i + 3, byte, 16);
      out += static_cast<char>(byte);
      i += 2;
    }
  }
  return out;
}

/// Where an invite link points: the page's own origin when the browser sent it for this
/// Host (so a page served over https through a proxy makes https links), else http://Host.
std::string link_base(const ApiContext& api, const HttpRequest& req) {
  const std::string host = req.header("host");
  const std::string origin = req.header("origin");
  if (host.empty()) return api.public_base_url;
  if (origin == "https://" + host || origin == "http://" + host) return origin;
  return (api.public_base_url.starts_with("https:") ? "https://" : "http://") + host;
}

/// The body's "file" checked against the media folders here and hashed on the track worker;
/// `store(path, sha256)` then runs on the executor and gives the answer.
void with_hashed_source(ApiContext& api, const json& body, const control::HttpResponder& respond,
                        std::function<HttpResponse(std::string, std::string)> store) {
  const std::string file = string_or(body, "file");
  if (file.empty()) return respond(fail(make_error(ErrorCode::bad_request, "\"file\" is needed")));
  auto path = api.track_sources->check(file);
  if (!path.ok()) return respond(fail(path.error()));
  api.track_sources->hash(*path, [&api, path = path->string(), respond,
                                  store = std::move(store)](Expected<std::string> digest) {
    api.on_executor([path, respond, store, digest = std::move(digest)] {
      if (!digest.ok()) return respond(fail(digest.error()));
      respond(store(path, *digest));
    });
  });
}

/// POST /api/sessions/ID/tracks {file, title, isrc, target}; the track is analysed next.
void add_track(ApiContext& api, const HttpRequest& req, session::Id session_id,
               const control::HttpResponder& respond) {
  auto body = body_object(req);
  if (!body.ok()) return respond(fail(body.error()));
  session::NewTrack t;
  t.session_id = session_id;
  t.title = string_or(*body, "title");
  t.isrc = string_or(*body, "isrc");
  t.target = string_or(*body, "target");
  with_hashed_source(api, *body, respond, [&api, t](std::string path, std::string digest) mutable {
    t.file_path = std::move(path);
    t.file_sha256 = std::move(digest);
    auto track = api.store.add_track(t);
    if (!track.ok()) return fail(from_store(track.error()));
    if (api.analysis) api.analysis->ensure(*track);
    return reply({{"id", track->id}}, 201);
  });
}

/// POST /api/sessions/ID/references {file, title}: a reference track, checked and hashed as
/// a track; the open session's new reference can be selected at once.
void add_reference(ApiContext& api, const HttpRequest& req, session::Id session_id,
                   const control::HttpResponder& respond) {
  auto body = body_object(req);
  if (!body.ok()) return respond(fail(body.error()));
  session::NewReference r;
  r.session_id = session_id;
  r.title = string_or(*body, "title");
  with_hashed_source(api, *body, respond, [&api, r](std::string path, std::string digest) mutable {
    r.file_path = std::move(path);
    r.file_sha256 = std::move(digest);
    auto added = api.store.add_reference(r);
    if (!added.ok()) return fail(from_store(added.error()));
    return reply({{"id", added->id}, {"position", added->position}}, 201);
  });
}

/// GET /api/sessions/ID/references: each with its analysis once it was loaded (loudness and
/// the long-term spectrum the console overlays) and, for the open session, which one is
/// selected and whether it is ready. DELETE .../references/RID removes one (engineer).
HttpResponse reference_route(ApiContext& api, const HttpRequest& req, session::Id session_id,
                             const std::vector<std::string>& parts, bool engineer) {
  if (req.method == "DELETE" && parts.size() == 3) {
    if (!engineer) return fail(make_error(ErrorCode::forbidden, "engineer only"));
    const auto not_here = [] {
      return fail(make_error(ErrorCode::not_found, "no such reference track in this session"));
    };
    const auto ref_id = parse_id(parts[2]);
    if (!ref_id) return not_here();
    auto ref = api.store.reference(*ref_id);
    if (!ref.ok() || ref->session_id != session_id) return not_here();
    auto removed = api.store.remove_reference(*ref_id);
    if (!removed.ok()) return fail(from_store(removed.error()));
    return reply({{"ok", true}});
  }
  if (req.method != "GET" || parts.size() != 2) {
    return fail(make_error(ErrorCode::bad_request, "method not allowed"));
  }
  auto refs = api.store.references(session_id);
  if (!refs.ok()) return fail(from_store(refs.error()));
  const bool open = api.references && api.references->session() == session_id;
  json out = json::array();
  for (const auto& r : *refs) {
    json analysis = nullptr;
    if (auto reports = api.store.reports_labelled(session::ReportKind::source, r.file_sha256);
        reports.ok() && !reports->empty()) {
      analysis = reports->back().data;
    }
    const bool selected = open && api.references->selected() == r.position;
    out.push_back({{"id", r.id},
                   {"position", r.position},
                   {"title", r.title},
                   {"file", r.file_path},
                   {"selected", selected},
                   {"ready", selected && api.references->ready()},
                   {"error", selected ? json(api.references->failure()) : json("")},
                   {"analysis", analysis}});
  }
  return reply(out);
}

/// GET /api/sessions/ID/tracks/N/analysis: the track's newest source report; 202 with
/// {"status":"pending"} while it is queued or being analysed (not an error: it will come).
HttpResponse track_analysis(ApiContext& api, session::Id session_id, const std::string& track) {
  const auto no_track = [] { return fail(make_error(ErrorCode::not_found, "no such track in this session")); };
  const auto track_id = parse_id(track);
  if (!track_id) return no_track();
  auto t = api.store.track(*track_id);
  if (!t.ok()) return fail(from_store(t.error()));
  if (t->session_id != session_id) return no_track();
  auto reports = api.store.reports(session_id);
  if (!reports.ok()) return fail(from_store(reports.error()));
  for (auto r = reports->rbegin(); r != reports->rend(); ++r) {
    if (r->kind == session::ReportKind::source && r->track_id == *track_id) return reply(r->data);
  }
  if (api.analysis && api.analysis->pending(*track_id)) return reply({{"status", "pending"}}, 202);
  return fail(make_error(ErrorCode::not_found, "track " + track + " has no analysis"));
}

/// The album routes (album_routes.hpp, engineer only); a refusal carries its reason in
/// "error" too, as the album's contract gives it. Nothing when the request is not one.
std::optional<HttpResponse> album_route(ApiContext& api, const HttpRequest& req, session::Id id,
                                        const std::vector<std::string>& parts, bool engineer) {
  const bool album = parts.size() >= 2 && parts[1] == "album";
  const bool get = album && parts.size() == 2 && req.method == "GET";
  const bool patch = album && parts.size() == 2 && req.method == "PATCH";
  const bool order = album && parts.size() == 3 && parts[2] == "order" && req.method == "PUT";
  const bool track = parts.size() == 3 && parts[1] == "tracks" && req.method == "PATCH";
  if (!get && !patch && !order && !track) return std::nullopt;
  auto body = !engineer ? Expected<json>(make_error(ErrorCode::forbidden, "engineer only"))
              : get     ? Expected<json>(json::object())
                        : body_object(req);
  const auto track_id = track ? parse_id(parts[2]) : std::nullopt;
  if (track && !track_id) body = make_error(ErrorCode::not_found, "no such track in this session");
  auto out = !body.ok() ? Expected<json>(body.error())
             : get      ? get_album(api, id)
             : patch    ? patch_album(api, id, *body)
             : order    ? put_album_order(api, id, *body)
                        : patch_album_track(api, id, *track_id, *body);
  if (out.ok()) return reply(*out);
  json error = control::error_json(out.error());
  error["error"] = out.error().message;
  return reply(error, status_of(out.error().code));
}

/// Everything under /api/sessions/ID/...
HttpResponse session_route(ApiContext& api, const HttpRequest& req, const Principal& who) {
  const auto parts = segments_after(req.path, "/api/sessions/");
  const auto id = parts.empty() ? std::nullopt : parse_id(parts[0]);
  if (!id) return fail(make_error(ErrorCode::not_found, "no such session"));
  if (!who.may_access(*id)) {
    return fail(make_error(ErrorCode::forbidden, "not invited to session " + parts[0]));
  }
  const std::string what = parts.size() > 1 ? parts[1] : std::string();
  const bool engineer = who.role == Role::engineer;
  const auto engineer_only = [] {
    return fail(make_error(ErrorCode::forbidden, "engineer only"));
  };

  if (auto album = album_route(api, req, *id, parts, engineer)) return std::move(*album);
  if (what.empty() && req.method == "GET") {
    auto s = api.store.session(*id);
    if (!s.ok()) return fail(from_store(s.error()));
    auto tracks = api.store.tracks(*id);
    if (!tracks.ok()) return fail(from_store(tracks.error()));
    json out = session_json(*s);
    out["tracks"] = json::array();
    for (const auto& t : *tracks) out["tracks"].push_back(track_json(t));
    return reply(out);
  }
  if (what == "tracks" && parts.size() == 4 && parts[3] == "analysis" && req.method == "GET") {
    return track_analysis(api, *id, parts[2]);
  }
  if (what == "references") return reference_route(api, req, *id, parts, engineer);
  if (what == "observations" && parts.size() == 2) {
    auto body = req.method == "POST" ? body_object(req) : Expected<json>(json::object());
    if (!body.ok()) return fail(body.error());
    auto out = req.method == "POST" ? post_observation(api, *id, who, *body) : list_observations(api, *id);
    if (!out.ok()) return fail(out.error());
    return reply(*out, req.method == "POST" ? 201 : 200);
  }
  if (what == "invites" && req.method == "POST") {
    if (!engineer) return engineer_only();
    auto body = body_object(req);
    if (!body.ok()) return fail(body.error());
    const std::string name = string_or(*body, "name");
    if (name.empty()) return fail(make_error(ErrorCode::bad_request, "\"name\" is needed"));
    auto invitation =
        api.store.create_client(name, session::Role::client, invite_expiry(api.invite_lifetime));
    if (!invitation.ok()) return fail(from_store(invitation.error()));
    auto invited = api.store.invite(invitation->client.id, *id);
    if (!invited.ok()) return fail(from_store(invited.error()));
    const std::string base = link_base(api, req);
    const auto& expires = invitation->client.expires_unix_ms;
    return reply({{"client_id", invitation->client.id},
                  {"expires_unix_ms", expires ? json(*expires) : json(nullptr)},
                  {"token", invitation->token},
                  {"url", base + "/#token=" + invitation->token}},
                 201);
  }
  if (what == "open" && req.method == "POST") {
    if (!engineer) return engineer_only();
    auto opened = api.open_session(*id);
    if (!opened.ok()) return fail(opened.error());
    return reply({{"ok", true}, {"tracks", *opened}});
  }
  if (what == "notes" && req.method == "POST") {
    auto body = body_object(req);
    if (!body.ok()) return fail(body.error());
    control::NotePlace place{*id, std::nullopt, 0.0, {}, {}};
    if (const auto t = body->find("track"); t != body->end() && t->is_number_integer()) {
      place.track_id = t->get<session::Id>();
    }
    const auto time = body->find("time_s");
    if (time == body->end() || !time->is_number()) {
      return fail(make_error(ErrorCode::bad_request, "\"time_s\" is a number"));
    }
    place.time_s = time->get<double>();
    // Through the hub, so WebSocket and OSC subscribers hear of the note.
    auto note = api.hub.add_note(who, place, string_or(*body, "text"));
    if (!note.ok()) return fail(note.error());
    return reply({{"id", note->id}}, 201);
  }
  if (req.method != "GET") return fail(make_error(ErrorCode::bad_request, "method not allowed"));

  if (what == "notes" || what == "notes.csv" || what == "markers.txt" || what == "markers.csv") {
    auto notes = api.store.notes(session::NoteFilter{.session_id = *id});
    if (!notes.ok()) return fail(from_store(notes.error()));
    if (what == "notes") {
      json out = json::array();
      for (const auto& n : *notes) out.push_back(session::to_json(n));
      return reply(out);
    }
    if (what == "notes.csv") {
      auto tracks = api.store.tracks(*id);
      if (!tracks.ok()) return fail(from_store(tracks.error()));
      return text(session::notes_csv(*notes, *tracks), "text/csv; charset=utf-8",
                  "session-" + parts[0] + "-notes.csv");
    }
    if (what == "markers.txt") {
      return text(session::notes_audacity_labels(*notes), "text/plain; charset=utf-8",
                  "session-" + parts[0] + "-labels.txt");
    }
    return text(session::notes_reaper_markers(*notes), "text/csv; charset=utf-8",
                "session-" + parts[0] + "-markers.csv");
  }
  if (what == "snapshots") {
    if (!engineer) return engineer_only();
    auto tracks = api.store.tracks(*id);
    if (!tracks.ok()) return fail(from_store(tracks.error()));
    json out = json::array();
    for (const auto& t : *tracks) {
      auto snaps = api.store.snapshots(t.id);
      if (!snaps.ok()) return fail(from_store(snaps.error()));
      for (const auto& s : *snaps) {
        out.push_back({{"id", s.id}, {"track", s.track_id}, {"version", s.version},
                       {"name", s.name}, {"state", s.state},
                       {"created_unix_ms", s.created_unix_ms}});
      }
    }
    return reply(out);
  }
  return fail(make_error(ErrorCode::not_found, "no such endpoint"));
}

json client_json(const session::Client& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"role", c.role == session::Role::engineer ? "engineer" : "client"},
          {"revoked", c.revoked},
          {"expires_unix_ms", c.expires_unix_ms ? json(*c.expires_unix_ms) : json(nullptr)},
          {"created_unix_ms", c.created_unix_ms},
          {"sessions", c.sessions}};
}

/// GET /api/clients, POST /api/clients/ID/revoke (engineer).
void add_client_routes(control::HttpServer& http, ApiContext& api) {
  http.route("GET", "/api/clients", [&api](const HttpRequest& req) {
    auto who = bearer(api, req);
    if (!who.ok()) return fail(who.error());
    if (who->role != Role::engineer) return fail(make_error(ErrorCode::forbidden, "engineer only"));
    auto clients = api.store.clients();
    if (!clients.ok()) return fail(from_store(clients.error()));
    json out = json::array();
    for (const auto& c : *clients) out.push_back(client_json(c));
    return reply(out);
  });
  http.route("POST", "/api/clients/*", [&api](const HttpRequest& req) {
    auto who = bearer(api, req);
    if (!who.ok()) return fail(who.error());
    if (who->role != Role::engineer) return fail(make_error(ErrorCode::forbidden, "engineer only"));
    const auto parts = segments_after(req.path, "/api/clients/");
    const auto id = parts.empty() ? std::nullopt : parse_id(parts[0]);
    if (!id || parts.size() != 2 || parts[1] != "revoke") {
      return fail(make_error(ErrorCode::not_found, "no such endpoint"));
    }
    auto revoked = api.store.revoke_client(*id);
    if (!revoked.ok()) return fail(from_store(revoked.error()));
    if (api.clients_changed) api.clients_changed();
    auto client = api.store.client(*id);
    if (!client.ok()) return fail(from_store(client.error()));
    return reply(client_json(*client));
  });
}

}  // namespace

std::optional<std::int64_t> invite_expiry(std::chrono::milliseconds lifetime) {
  if (lifetime.count() <= 0) return std::nullopt;
  return session::now_unix_ms() + lifetime.count();
}

control::Error from_store(const session::Error& error) {
  switch (error.code) {
    case session::ErrorCode::not_found: return make_error(ErrorCode::not_found, error.message);
    case session::ErrorCode::invalid_argument:
    case session::ErrorCode::constraint: return make_error(ErrorCode::invalid_value, error.message);
    case session::ErrorCode::unauthorized:
      return make_error(ErrorCode::unauthorized, error.message);
    case session::ErrorCode::busy: return make_error(ErrorCode::unavailable, error.message);
    default: break;
  }
  return make_error(ErrorCode::internal, error.message);
}

Expected<Principal> api_caller(ApiContext& api, const HttpRequest& req) { return bearer(api, req); }
HttpResponse api_json(const json& body, unsigned status) { return reply(body, status); }
HttpResponse api_error(const control::Error& e) { return fail(e); }

void add_api_routes(control::HttpServer& http, ApiContext& api) {
  http.route("GET", "/api/schema", [&api](const HttpRequest&) {
    return reply({{"paths", control::schema_json(api.hub.table())}});
  });
  http.route("GET", "/api/state", [&api](const HttpRequest& req) {
    auto who = bearer(api, req);
    if (!who.ok()) return fail(who.error());
    json out{{"values", api.hub.state(who->role)}};
    if (const auto t = api.hub.transport_state()) out["transport"] = control::transport_json(*t);
    return reply(out);
  });
  http.route("GET", "/api/sessions", [&api](const HttpRequest& req) {
    auto who = bearer(api, req);
    if (!who.ok()) return fail(who.error());
    auto sessions = api.store.sessions();
    if (!sessions.ok()) return fail(from_store(sessions.error()));
    json out = json::array();
    for (const auto& s : *sessions) {
      if (who->may_access(s.id)) out.push_back(session_json(s));
    }
    return reply(out);
  });
  http.route("POST", "/api/sessions", [&api](const HttpRequest& req) {
    auto who = bearer(api, req);
    if (!who.ok()) return fail(who.error());
    if (who->role != Role::engineer) return fail(make_error(ErrorCode::forbidden, "engineer only"));
    auto body = body_object(req);
    if (!body.ok()) return fail(body.error());
    session::NewSession s{string_or(*body, "title"), string_or(*body, "artist"),
                          string_or(*body, "client"), string_or(*body, "studio")};
    auto created = api.store.create_session(s);
    if (!created.ok()) return fail(from_store(created.error()));
    return reply({{"id", created->id}}, 201);
  });
  for (const char* method : {"GET", "POST", "PATCH", "PUT", "DELETE"}) {
    http.route_async(method, "/api/sessions/*",
                     [&api](const HttpRequest& req, const control::HttpResponder& respond) {
                       auto who = bearer(api, req);
                       if (!who.ok()) return respond(fail(who.error()));
                       const auto parts = segments_after(req.path, "/api/sessions/");
                       const auto id = parts.empty() ? std::nullopt : parse_id(parts[0]);
                       if (req.method == "POST" && id && parts.size() == 2 &&
                           parts[1] == "tracks") {
                         if (who->role != Role::engineer) {
                           return respond(fail(make_error(ErrorCode::forbidden, "engineer only")));
                         }
                         return add_track(api, req, *id, respond);
                       }
                       if (req.method == "POST" && id && parts.size() == 2 &&
                           parts[1] == "references") {
                         if (who->role != Role::engineer) {
                           return respond(fail(make_error(ErrorCode::forbidden, "engineer only")));
                         }
                         return add_reference(api, req, *id, respond);
                       }
                       if (id && parts.size() >= 2 && parts[1] == "deliveries" && api.deliveries) {
                         if (who->role != Role::engineer) {
                           return respond(fail(make_error(ErrorCode::forbidden, "engineer only")));
                         }
                         return delivery_route(api, *api.deliveries, req, *id, parts, respond);
                       }
                       respond(session_route(api, req, *who));
                     });
  }
  add_client_routes(http, api);
  http.route("GET", "/api/feedback", [&api](const HttpRequest& req) {
    auto who = bearer(api, req);
    if (!who.ok()) return fail(who.error());
    if (who->role != Role::engineer) return fail(make_error(ErrorCode::forbidden, "engineer only"));
    session::FeedbackScope scope;
    // ?client=NAME or ?studio=NAME (one of them), form-encoded as browsers send it.
    const auto query = req.target.find('?');
    if (query != std::string::npos) {
      const std::string q = req.target.substr(query + 1);
      const auto eq = q.find('=');
      const std::string key = q.substr(0, eq);
      auto value = form_decode(eq == std::string::npos ? std::string() : q.substr(eq + 1));
      if (!value) return fail(make_error(ErrorCode::bad_request, "a malformed %-escape in the query"));
      if (key == "client") scope.client = *value;
      if (key == "studio") scope.studio = *value;
    }
    auto summary = api.store.feedback(scope);
    if (!summary.ok()) return fail(from_store(summary.error()));
    return reply(session::to_json(*summary));
  });
}

}  // namespace lacquer::daemon
