// Snapshots of a track's chain and monitor state: store, recall, diff.
#include <cmath>
#include <set>

#include "store_impl.hpp"

namespace lacquer::session {

namespace {

using detail::invalid;
using detail::not_found;

constexpr std::string_view kColumns = "id, track_id, version, name, state_json, created_unix_ms";

Snapshot read_snapshot(const sqlite::Statement& st) {
  Snapshot s;
  s.id = st.int64(0);
  s.track_id = st.int64(1);
  s.version = st.integer(2);
  s.name = st.text(3);
  s.state = detail::parse_stored_json(st.text(4));
  s.created_unix_ms = st.int64(5);
  return s;
}

// A snapshot holds what `render --chain` reads: command paths mapped to plain values.
std::optional<std::string> check_state(const nlohmann::json& state) {
  if (!state.is_object()) return "a snapshot must be a JSON object of paths to values";
  for (const auto& [path, value] : state.items()) {
    if (path.empty() || path.front() != '/') return "snapshot key '" + path + "' is not a path";
    if (value.is_number_float() && !std::isfinite(value.get<double>())) {
      return "snapshot value of " + path + " is not finite";
    }
    if (!value.is_number() && !value.is_string() && !value.is_boolean()) {
      return "snapshot value of " + path + " must be a number, string or boolean";
    }
  }
  return std::nullopt;
}

}  // namespace

nlohmann::json detail::parse_stored_json(const std::string& text) {
  // The CHECK constraint admitted only valid JSON; a parse failure here means the file
  // was changed behind the store's back, so keep the value visible instead of throwing.
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

Result<Snapshot> Store::store_snapshot(Id track_id, std::string_view name,
                                       const nlohmann::json& state) {
  if (auto problem = check_state(state)) return invalid(*problem);
  const auto& db = impl_->db;
  sqlite::Transaction tx(db);
  if (auto r = tx.begin("store snapshot"); !r) return r.error();
  auto next = detail::query_one<int>(
      db,
      "SELECT COALESCE(MAX(s.version), 0) + 1 FROM tracks t "
      "LEFT JOIN snapshots s ON s.track_id = t.id WHERE t.id = ? GROUP BY t.id",
      "store snapshot", not_found("track", track_id),
      [](const sqlite::Statement& st) { return st.integer(0); }, track_id);
  if (!next) return next.error();
  const auto now = now_unix_ms();
  const std::string text = state.dump();
  auto r = db.run(
      "INSERT INTO snapshots (track_id, version, name, state_json, created_unix_ms) "
      "VALUES (?, ?, ?, ?, ?)",
      "store snapshot", track_id, *next, name, text, now);
  if (!r) return r.error();
  const Id id = db.last_insert_rowid();
  r = db.run("UPDATE tracks SET snapshot_id = ? WHERE id = ?", "store snapshot", id, track_id);
  if (!r) return r.error();
  if (auto c = tx.commit("store snapshot"); !c) return c.error();
  return Snapshot{id, track_id, *next, std::string(name), state, now};
}

Result<Snapshot> Store::snapshot(Id id) const {
  return detail::query_one<Snapshot>(
      impl_->db, "SELECT " + std::string(kColumns) + " FROM snapshots WHERE id = ?",
      "read snapshot", not_found("snapshot", id), read_snapshot, id);
}

Result<Snapshot> Store::snapshot_by_name(Id track_id, std::string_view name) const {
  return detail::query_one<Snapshot>(
      impl_->db,
      "SELECT " + std::string(kColumns) +
          " FROM snapshots WHERE track_id = ? AND name = ? ORDER BY version DESC LIMIT 1",
      "read snapshot",
      Error{ErrorCode::not_found, "track " + std::to_string(track_id) + " has no snapshot named '" +
                                      std::string(name) + "'"},
      read_snapshot, track_id, name);
}

Result<std::vector<Snapshot>> Store::snapshots(Id track_id) const {
  return detail::query_all<Snapshot>(
      impl_->db,
      "SELECT " + std::string(kColumns) + " FROM snapshots WHERE track_id = ? ORDER BY version",
      "list snapshots", read_snapshot, track_id);
}

Result<Snapshot> Store::recall_snapshot(Id snapshot_id) {
  auto s = snapshot(snapshot_id);
  if (!s) return s;
  auto r = impl_->db.run("UPDATE tracks SET snapshot_id = ? WHERE id = ?", "recall snapshot",
                         snapshot_id, s->track_id);
  if (!r) return r.error();
  return s;
}

Result<std::vector<SnapshotChange>> Store::diff_snapshots(Id from_id, Id to_id) const {
  auto from = snapshot(from_id);
  if (!from) return from.error();
  auto to = snapshot(to_id);
  if (!to) return to.error();
  std::set<std::string> paths;
  for (const auto& [path, v] : from->state.items()) paths.insert(path);
  for (const auto& [path, v] : to->state.items()) paths.insert(path);
  std::vector<SnapshotChange> changes;
  for (const auto& path : paths) {
    const auto a = from->state.find(path);
    const auto b = to->state.find(path);
    nlohmann::json before = a != from->state.end() ? *a : nlohmann::json();
    nlohmann::json after = b != to->state.end() ? *b : nlohmann::json();
    if (before != after) changes.push_back({path, std::move(before), std::move(after)});
  }
  return changes;
}

}  // namespace lacquer::session
