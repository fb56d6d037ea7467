// The hub's notes: adding one with what was heard, listing and resolving them, and walking
// them in playlist order from a surface (/note/next, /note/prev, /note/resolve).
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <nlohmann/json.hpp>

#include "hub_common.hpp"
#include "lacquer/control/hub.hpp"

namespace lacquer::control {

using namespace hub_common;

namespace {

// Notes are walked in playlist order: track, then time, then id for notes at one moment.
std::tuple<std::int32_t, double, std::int64_t> walk_key(const NoteRecord& n) {
  return {n.track_index.value_or(std::numeric_limits<std::int32_t>::max()), n.time_s, n.id};
}

}  // namespace

Change ControlHub::note_current_change() const {
  const Entry* e = table_.find("/note/current");
  return Change{e, Value{current_note_ ? current_note_->text : std::string()}, std::nullopt};
}

Expected<Change> ControlHub::walk_notes(int direction) {
  if (sessions_ == nullptr) return no_store();
  if (transport_ == nullptr) return no_transport();
  const TransportState s = transport_->state();
  auto place = sessions_->place(s);
  if (!place.ok()) return place.error();
  auto listed = sessions_->notes(place->session_id);
  if (!listed.ok()) return listed.error();
  std::vector<NoteRecord> open;
  for (const auto& n : *listed) {
    if (!n.resolved) open.push_back(n);
  }
  if (open.empty()) return make_error(ErrorCode::not_found, "the session has no open notes");
  std::sort(open.begin(), open.end(),
            [](const NoteRecord& a, const NoteRecord& b) { return walk_key(a) < walk_key(b); });

  // From the note last walked to, or else from the play position (a note exactly there
  // counts as next).
  const bool from_note = current_note_ && current_note_->session_id == place->session_id;
  const auto here = from_note ? walk_key(*current_note_)
                              : std::tuple<std::int32_t, double, std::int64_t>{
                                    s.track, s.position_s, direction > 0 ? -1 : 0};
  const NoteRecord* chosen = nullptr;
  if (direction > 0) {
    const auto it = std::find_if(open.begin(), open.end(),
                                 [&](const NoteRecord& n) { return walk_key(n) > here; });
    chosen = it != open.end() ? &*it : &open.front();  // wraps to the first
  } else {
    const auto it = std::find_if(open.rbegin(), open.rend(),
                                 [&](const NoteRecord& n) { return walk_key(n) < here; });
    chosen = it != open.rend() ? &*it : &open.back();  // wraps to the last
  }
  current_note_ = *chosen;

  if (chosen->track_index && *chosen->track_index != s.track &&
      *chosen->track_index < s.track_count) {
    transport_->select(*chosen->track_index);
    broadcast(Change{table_.find("/transport/track"),
                     Value{std::int64_t{*chosen->track_index}}, std::nullopt});
  }
  if (!chosen->track_index || *chosen->track_index < s.track_count) {
    const double at = std::max(0.0, chosen->time_s);
    transport_->locate(at);
    restart_meters();
    broadcast(Change{table_.find("/transport/locate"), Value{at}, std::nullopt});
  }
  Change change = note_current_change();
  broadcast(change);
  return change;
}

Expected<Change> ControlHub::resolve_current_note(const Principal& who) {
  if (sessions_ == nullptr) return no_store();
  if (!current_note_) return make_error(ErrorCode::not_found, "no note was walked to");
  auto resolved = resolve_note(who, current_note_->id);
  if (!resolved.ok()) return resolved.error();
  current_note_->resolved = true;
  return note_current_change();
}

Expected<NoteRecord> ControlHub::add_note(const Principal& who, const NotePlace& place,
                                          std::string_view text) {
  if (sessions_ == nullptr) return no_store();
  if (!role_allows(who.role, Role::client)) {
    return make_error(ErrorCode::unauthorized, "authenticate first");
  }
  if (!who.may_access(place.session_id)) {
    return make_error(ErrorCode::forbidden, "not invited to session " +
                                                std::to_string(place.session_id));
  }
  if (text.empty() || text.size() > CommandTable::kMaxTextBytes) {
    return make_error(ErrorCode::invalid_value, "a note holds 1 to " +
                                                    std::to_string(CommandTable::kMaxTextBytes) +
                                                    " bytes");
  }
  if (!std::isfinite(place.time_s) || place.time_s < 0.0) {
    return make_error(ErrorCode::invalid_value, "a note's time is a finite number >= 0");
  }
  NotePlace heard = place;
  // The compare names are the schema's choices of /monitor/compare, spelled nowhere else here.
  const auto& choices = compare_entry_->choices;
  if (heard.compare.empty()) {
    const auto index = static_cast<std::size_t>(params_.get(*compare_entry_->param));
    if (index < choices.size()) heard.compare = choices[index];
  } else if (std::find(choices.begin(), choices.end(), heard.compare) == choices.end()) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    return make_error(ErrorCode::invalid_value, "compare is one of " + list);
  }
  if (heard.compare == "chain") {
    heard.chain_state = std::make_shared<const nlohmann::json>(chain_state());
  }
  auto note = sessions_->add_note(who, heard, text);
  if (!note.ok()) return note.error();
  broadcast_note(*note);
  return note;
}

Expected<std::vector<NoteRecord>> ControlHub::notes(const Principal& who,
                                                    std::int64_t session_id) {
  if (sessions_ == nullptr) return no_store();
  if (!role_allows(who.role, Role::client)) {
    return make_error(ErrorCode::unauthorized, "authenticate first");
  }
  if (!who.may_access(session_id)) {
    return make_error(ErrorCode::forbidden, "not invited to session " + std::to_string(session_id));
  }
  return sessions_->notes(session_id);
}

Expected<NoteRecord> ControlHub::resolve_note(const Principal& who, std::int64_t note_id) {
  if (sessions_ == nullptr) return no_store();
  if (who.role != Role::engineer) {
    return make_error(ErrorCode::forbidden, "only the engineer resolves notes");
  }
  auto note = sessions_->resolve_note(note_id, who);
  if (!note.ok()) return note.error();
  if (current_note_ && current_note_->id == note->id) current_note_ = *note;
  broadcast_note(*note);
  return note;
}

}  // namespace lacquer::control
