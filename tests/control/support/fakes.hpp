#pragma once
// In-memory stand-ins for the ports the daemon fills: a transport that records what it was
// told, and a note/snapshot book with the store's visible behaviour (ids, ordering, access).

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/control/hub.hpp"

namespace lacquer::control::testing {

class FakeTransport : public TransportPort {
 public:
  void play() override { s.playing = true; }
  void stop() override { s.playing = false; }
  void locate(double seconds) override { s.position_s = seconds; }
  void select(std::int32_t track) override {
    s.track = track;
    s.position_s = 0.0;
  }
  void set_loop(bool loop) override { s.loop = loop; }
  TransportState state() const override { return s; }

  TransportState s{.playing = false, .track = 0, .track_count = 3, .position_s = 0.0,
                   .duration_s = 180.0, .loop = true};
};

class FakeSessions : public SessionPort {
 public:
  Expected<NoteRecord> add_note(const Principal& author, const NotePlace& place,
                                std::string_view text) override {
    NoteRecord n;
    n.id = next_id++;
    n.session_id = place.session_id;
    n.track_id = place.track_id;
    if (place.track_id) n.track_index = static_cast<std::int32_t>(*place.track_id - 100);
    n.time_s = place.time_s;
    n.author = author.name;
    n.text = std::string(text);
    n.compare = place.compare;
    stored.push_back(n);
    return n;
  }
  Expected<std::vector<NoteRecord>> notes(std::int64_t session_id) override {
    std::vector<NoteRecord> out;
    for (const auto& n : stored) {
      if (n.session_id == session_id) out.push_back(n);
    }
    return out;
  }
  Expected<NoteRecord> resolve_note(std::int64_t note_id, const Principal&) override {
    for (auto& n : stored) {
      if (n.id == note_id) {
        n.resolved = true;
        return n;
      }
    }
    return make_error(ErrorCode::not_found, "no note " + std::to_string(note_id));
  }
  /// Session 7 is loaded; track ids are 100 + playlist index.
  Expected<NotePlace> place(const TransportState& state) override {
    return NotePlace{7, 100 + state.track, state.position_s, {}, {}};
  }
  Expected<std::int64_t> store_snapshot(std::string_view name,
                                        const nlohmann::json& state) override {
    snapshots[std::string(name)] = state;
    applied = name;
    return static_cast<std::int64_t>(snapshots.size());
  }
  Expected<nlohmann::json> load_snapshot(std::string_view name) override {
    const auto it = snapshots.find(std::string(name));
    if (it == snapshots.end()) return make_error(ErrorCode::not_found, "no snapshot");
    return it->second;
  }
  Expected<nlohmann::json> recall_snapshot(std::string_view name) override {
    auto state = load_snapshot(name);
    if (state.ok()) applied = name;
    return state;
  }

  std::vector<NoteRecord> stored;
  std::map<std::string, nlohmann::json> snapshots;
  std::string applied;  ///< name of the snapshot the track has applied (stored or recalled)
  std::int64_t next_id = 1;
};

/// Records what a hub broadcasts.
class RecordingListener : public HubListener {
 public:
  void on_change(const Change& change) override { changes.push_back(change); }
  void on_note(const NoteRecord& note) override { notes.push_back(note); }
  std::vector<Change> changes;
  std::vector<NoteRecord> notes;
};

}  // namespace lacquer::control::testing
