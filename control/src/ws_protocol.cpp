#include "lacquer/control/ws_protocol.hpp"

#include <cmath>

namespace lacquer::control {

namespace {

using nlohmann::json;

struct TopicName {
  std::string_view name;
  Topic bit;
  Role role;  // needed to subscribe
};
constexpr TopicName kTopics[] = {
    {"params", kTopicParams, Role::engineer},
    {"meters", kTopicMeters, Role::client},
    {"transport", kTopicTransport, Role::client},
    {"notes", kTopicNotes, Role::client},
    {"analysis", kTopicAnalysis, Role::client},
};

bool deeper_than(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

Error missing(std::string_view field, std::string_view what) {
  return make_error(ErrorCode::bad_request,
                    "\"" + std::string(field) + "\" must be " + std::string(what));
}

Expected<std::string> string_field(const json& req, const char* field) {
  const auto it = req.find(field);
  if (it == req.end() || !it->is_string()) return missing(field, "a string");
  return it->get<std::string>();
}

Expected<std::int64_t> integer_field(const json& req, const char* field) {
  const auto it = req.find(field);
  if (it == req.end() || !it->is_number_integer()) return missing(field, "an integer");
  return it->get<std::int64_t>();
}

json ok_reply(std::string_view op) { return json{{"op", op}, {"ok", true}}; }

json change_reply(std::string_view op, const Expected<Change>& change) {
  if (!change.ok()) return error_json(change.error());
  json reply = ok_reply(op);
  reply["path"] = change->entry->path;
  reply["value"] = value_to_json(change->value);
  if (change->norm) reply["norm"] = *change->norm;
  return reply;
}

}  // namespace

Expected<json> parse_ws_request(std::string_view text) {
  if (deeper_than(text, kMaxJsonDepth)) {
    return make_error(ErrorCode::bad_request, "JSON nested too deeply");
  }
  json parsed = json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded()) return make_error(ErrorCode::bad_request, "not valid JSON");
  if (!parsed.is_object()) return make_error(ErrorCode::bad_request, "a request is an object");
  const auto op = parsed.find("op");
  if (op == parsed.end() || !op->is_string()) return missing("op", "a string");
  return parsed;
}

json WsDispatcher::handle(WsClient& client, std::string_view text, Clock::time_point now) {
  auto request = parse_ws_request(text);
  if (!request.ok()) return error_json(request.error());
  json reply = dispatch(client, *request, now);
  if (const auto id = request->find("id"); id != request->end()) reply["id"] = *id;
  return reply;
}

json WsDispatcher::dispatch(WsClient& client, const json& req, Clock::time_point now) {
  const std::string op = req.at("op").get<std::string>();
  const Role role = client.principal.role;

  if (op == "ping") return json{{"op", "pong"}};
  if (op == "auth") {
    auto token = string_field(req, "token");
    if (!token.ok()) return error_json(token.error());
    auto principal = auth_.authenticate(*token, client.remote_address, now);
    if (!principal.ok()) return error_json(principal.error());
    client.principal = std::move(principal).value();
    // Topics the new role may not hold are dropped (a client re-authenticating as such).
    for (const auto& t : kTopics) {
      if (static_cast<int>(client.principal.role) < static_cast<int>(t.role)) {
        client.topics &= ~static_cast<unsigned>(t.bit);
      }
    }
    json reply = ok_reply("auth");
    reply["role"] = to_string(client.principal.role);
    if (client.principal.role == Role::client) reply["sessions"] = client.principal.sessions;
    return reply;
  }
  if (op == "schema") {
    json reply = ok_reply("schema");
    reply["paths"] = schema_json(hub_.table());
    return reply;
  }
  if (role == Role::none) {
    return error_json(make_error(ErrorCode::unauthorized, "authenticate first"));
  }

  if (op == "set") {
    auto path = string_field(req, "path");
    if (!path.ok()) return error_json(path.error());
    Value value;
    if (const auto it = req.find("value"); it != req.end()) {
      auto v = value_from_json(*it);
      if (!v.ok()) return error_json(v.error());
      value = std::move(v).value();
    }
    return change_reply(op, hub_.execute(Command{*path, std::move(value), Origin::websocket, role},
                                         &client.principal));
  }
  if (op == "get") {
    auto path = string_field(req, "path");
    if (!path.ok()) return error_json(path.error());
    auto target = hub_.table().resolve(*path);
    if (!target.ok()) return error_json(target.error());
    if (!target->entry->readable || target->entry->type == ValueType::trigger) {
      return error_json(make_error(ErrorCode::bad_request, *path + " cannot be read"));
    }
    return change_reply(op, hub_.execute(Command{*path, Value{}, Origin::websocket, role},
                                         &client.principal));
  }
  if (op == "state") {
    json reply = ok_reply("state");
    reply["values"] = hub_.state(role);
    return reply;
  }
  if (op == "subscribe" || op == "unsubscribe") {
    const auto topics = req.find("topics");
    if (topics == req.end() || !topics->is_array()) return error_json(missing("topics", "a list"));
    unsigned bits = 0;
    for (const auto& t : *topics) {
      const TopicName* found = nullptr;
      for (const auto& known : kTopics) {
        if (t.is_string() && t.get<std::string>() == known.name) found = &known;
      }
      if (found == nullptr) {
        return error_json(make_error(ErrorCode::bad_request,
                                     "topics are params, meters, transport and notes"));
      }
      if (op == "subscribe" && static_cast<int>(role) < static_cast<int>(found->role)) {
        return error_json(make_error(ErrorCode::forbidden, "the " + std::string(to_string(role)) +
                                                               " role may not subscribe to " +
                                                               std::string(found->name)));
      }
      bits |= found->bit;
    }
    if (op == "subscribe") {
      client.topics |= bits;
    } else {
      client.topics &= ~bits;
    }
    json reply = ok_reply(op);
    reply["topics"] = json::array();
    for (const auto& known : kTopics) {
      if ((client.topics & known.bit) != 0U) reply["topics"].push_back(known.name);
    }
    return reply;
  }
  if (op == "note") {
    auto session = integer_field(req, "session");
    if (!session.ok()) return error_json(session.error());
    auto text = string_field(req, "text");
    if (!text.ok()) return error_json(text.error());
    NotePlace place{*session, std::nullopt, 0.0, {}, {}};
    if (const auto it = req.find("track"); it != req.end() && !it->is_null()) {
      if (!it->is_number_integer()) return error_json(missing("track", "an integer or null"));
      place.track_id = it->get<std::int64_t>();
    }
    const auto time = req.find("time");
    if (time == req.end() || !time->is_number()) return error_json(missing("time", "a number"));
    place.time_s = time->get<double>();
    if (const auto it = req.find("compare"); it != req.end() && !it->is_null()) {
      if (!it->is_string()) {
        return error_json(missing("compare", "chain, bypass, A, B or reference"));
      }
      place.compare = it->get<std::string>();
    }
    auto note = hub_.add_note(client.principal, place, *text);
    if (!note.ok()) return error_json(note.error());
    json reply = ok_reply("note");
    reply["note_id"] = note->id;
    return reply;
  }
  if (op == "notes") {
    auto session = integer_field(req, "session");
    if (!session.ok()) return error_json(session.error());
    auto notes = hub_.notes(client.principal, *session);
    if (!notes.ok()) return error_json(notes.error());
    json reply = ok_reply("notes");
    reply["notes"] = json::array();
    for (const auto& n : *notes) reply["notes"].push_back(note_json(n));
    return reply;
  }
  if (op == "note.resolve") {
    auto id = integer_field(req, "note");
    if (!id.ok()) return error_json(id.error());
    auto note = hub_.resolve_note(client.principal, *id);
    if (!note.ok()) return error_json(note.error());
    json reply = ok_reply(op);
    reply["note"] = note_json(*note);
    return reply;
  }
  if (op == "snapshot.store" || op == "snapshot.recall") {
    auto name = string_field(req, "name");
    if (!name.ok()) return error_json(name.error());
    const std::string path = op == "snapshot.store" ? "/snapshot/store" : "/snapshot/recall";
    auto change = hub_.execute(Command{path, *name, Origin::websocket, role}, &client.principal);
    if (!change.ok()) return error_json(change.error());
    json reply = ok_reply(op);
    reply["name"] = *name;
    return reply;
  }
  if (op == "compare") {
    json reply = ok_reply("compare");
    if (const auto mode = req.find("mode"); mode != req.end()) {
      auto v = value_from_json(*mode);
      if (!v.ok()) return error_json(v.error());
      auto change = hub_.execute(
          Command{"/monitor/compare", std::move(v).value(), Origin::websocket, role},
          &client.principal);
      if (!change.ok()) return error_json(change.error());
      reply["mode"] = value_to_json(change->value);
    }
    if (const auto match = req.find("match"); match != req.end()) {
      auto v = value_from_json(*match);
      if (!v.ok()) return error_json(v.error());
      auto change = hub_.execute(
          Command{"/monitor/match", std::move(v).value(), Origin::websocket, role},
          &client.principal);
      if (!change.ok()) return error_json(change.error());
      reply["match"] = value_to_json(change->value);
    }
    if (!reply.contains("mode") && !reply.contains("match")) {
      return error_json(make_error(ErrorCode::bad_request, "compare takes \"mode\" or \"match\""));
    }
    return reply;
  }
  if (const auto added = ops_.find(op); added != ops_.end()) {
    if (static_cast<int>(role) < static_cast<int>(added->second.role)) {
      return error_json(make_error(ErrorCode::forbidden, op + " is for the " +
                                                             std::string(to_string(added->second.role))));
    }
    auto result = added->second.run(client.principal, req);
    if (!result.ok()) return error_json(result.error());
    json reply = ok_reply(op);
    for (const auto& [key, value] : result->items()) reply[key] = value;
    return reply;
  }
  return error_json(make_error(ErrorCode::bad_request, "unknown op '" + op.substr(0, 64) + "'"));
}

json error_json(const Error& error) {
  return json{{"op", "error"}, {"code", to_string(error.code)}, {"message", error.message}};
}

json change_json(const Change& change) {
  json out{{"op", "param"}, {"path", change.entry->path}, {"value", value_to_json(change.value)}};
  if (change.norm) out["norm"] = *change.norm;
  return out;
}

json meters_json(const MeterFrame& frame) {
  json values = json::object();
  for (const auto& r : frame.readings) values[std::string(r.path)] = r.value;
  return json{{"op", "meters"}, {"frames", frame.frames}, {"values", std::move(values)}};
}

json transport_json(const TransportState& s) {
  return json{{"op", "transport"},  {"playing", s.playing},       {"track", s.track},
              {"tracks", s.track_count}, {"position_s", s.position_s},
              {"duration_s", s.duration_s}, {"loop", s.loop}};
}

json note_json(const NoteRecord& n) {
  json out{{"id", n.id},         {"session", n.session_id},     {"time_s", n.time_s},
           {"author", n.author}, {"text", n.text},              {"resolved", n.resolved},
           {"created_unix_ms", n.created_unix_ms}};
  out["track"] = n.track_id ? json(*n.track_id) : json(nullptr);
  out["compare"] = n.compare.empty() ? json(nullptr) : json(n.compare);
  out["snapshot_id"] = n.snapshot_id ? json(*n.snapshot_id) : json(nullptr);
  out["reference_id"] = n.reference_id ? json(*n.reference_id) : json(nullptr);
  return out;
}

json schema_json(const CommandTable& table) {
  json out = json::array();
  for (const Entry& e : table.entries()) {
    json item{{"path", e.path},
              {"type", to_string(e.type)},
              {"unit", e.unit},
              {"readable", e.readable},
              {"writable", e.writable},
              {"read_role", to_string(e.read_role)},
              {"write_role", to_string(e.writable ? e.write_role : Role::none)},
              {"norm", e.accepts_norm},
              {"description", e.description}};
    if (e.type == ValueType::real || e.type == ValueType::integer ||
        e.type == ValueType::boolean) {
      item["min"] = e.min_value;
      item["max"] = e.max_value;
    }
    if (e.param) {
      item["default"] = value_to_json(table.wire_value(e, e.default_value));
      item["taper"] = e.taper == dsp::Taper::logarithmic ? "log" : "linear";
      item["smoothing_ms"] = table.schema().spec(*e.param).smoothing_ms;
    }
    if (!e.choices.empty()) item["choices"] = e.choices;
    out.push_back(std::move(item));
  }
  return out;
}

bool origin_allowed(std::string_view origin, std::string_view host,
                    const std::vector<std::string>& allowed) {
  if (origin.empty()) return true;
  for (const auto& a : allowed) {
    if (origin == a) return true;
  }
  if (host.empty()) return false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.size() == scheme.size() + host.size() && origin.starts_with(scheme) &&
        origin.substr(scheme.size()) == host) {
      return true;
    }
  }
  return false;
}

}  // namespace lacquer::control
