// The album's writes: release metadata, a track's album fields, the order of tracks.
// Each write checks its values with album.hpp's rules and, where one track's value
// depends on its neighbour (a crossfade), the whole album inside the same transaction.
#include <algorithm>
#include <set>

#include "lacquer/session/album.hpp"
#include "store_impl.hpp"

namespace lacquer::session {

namespace {

using detail::invalid;
using detail::not_found;

// Validates the session's album as the transaction left it.
Result<void> check_album(const Store& store, Id session_id) {
  auto album = album_from_store(store, session_id);
  if (!album) return album.error();
  return validate_album(*album);
}

// A number of the figures read from a report, or nothing (a silent file's loudness is null).
std::optional<double> number_in(const nlohmann::json& figures, std::size_t i) {
  return figures.is_array() && i < figures.size() && figures[i].is_number()
             ? std::optional<double>(figures[i].get<double>())
             : std::nullopt;
}

}  // namespace

Result<Session> Store::update_release(Id session_id, const ReleaseUpdate& u) {
  if (u.title && u.title->empty()) return invalid("title: a session needs a title");
  if (u.year) {
    if (auto r = check_year(*u.year); !r) return r.error();
  }
  std::optional<std::string> catalogue;
  if (u.catalogue) {
    auto c = check_catalogue(*u.catalogue);
    if (!c) return c.error();
    catalogue = *c;
  }
  const std::optional<int> year = u.year ? *u.year : std::nullopt;
  auto r = impl_->db.run(
      "UPDATE sessions SET title = COALESCE(?, title), artist = COALESCE(?, artist), "
      "year = CASE WHEN ? THEN ? ELSE year END, label = COALESCE(?, label), "
      "catalogue = COALESCE(?, catalogue) WHERE id = ?",
      "update release", u.title, u.artist, u.year.has_value(), year, u.label, catalogue,
      session_id);
  if (!r) return r.error();
  if (impl_->db.changes() == 0) return not_found("session", session_id);
  return session(session_id);
}

Result<Track> Store::update_track(Id track_id, const TrackUpdate& u) {
  std::optional<std::string> isrc;
  if (u.isrc) {
    auto n = check_isrc(*u.isrc);
    if (!n) return n.error();
    isrc = *n;
  }
  if (u.pregap_s) {
    if (auto r = check_pregap(*u.pregap_s); !r) return r.error();
  }
  if (u.crossfade_s) {
    if (auto r = check_crossfade(*u.crossfade_s, false, std::nullopt); !r) return r.error();
  }
  if (u.side) {
    if (auto r = check_side(*u.side); !r) return r.error();
  }

  const auto& db = impl_->db;
  sqlite::Transaction tx(db);
  if (auto r = tx.begin("update track"); !r) return r.error();
  auto before = track(track_id);
  if (!before) return before.error();
  if (u.snapshot_id && *u.snapshot_id) {
    const Id sid = **u.snapshot_id;
    auto snap = snapshot(sid);
    if (!snap) {
      if (snap.error().code != ErrorCode::not_found) return snap.error();
      return invalid("snapshot_id: snapshot " + std::to_string(sid) + " does not exist");
    }
    if (snap->track_id != track_id) {
      return invalid("snapshot_id: snapshot " + std::to_string(sid) + " belongs to track " +
                     std::to_string(snap->track_id) + ", not to track " + std::to_string(track_id));
    }
  }
  const std::optional<Id> snapshot_id = u.snapshot_id ? *u.snapshot_id : std::nullopt;
  auto r = db.run(
      "UPDATE tracks SET title = COALESCE(?, title), performer = COALESCE(?, performer), "
      "songwriter = COALESCE(?, songwriter), isrc = COALESCE(?, isrc), "
      "gap_before_s = COALESCE(?, gap_before_s), crossfade_s = COALESCE(?, crossfade_s), "
      "side = COALESCE(?, side), snapshot_id = CASE WHEN ? THEN ? ELSE snapshot_id END "
      "WHERE id = ?",
      "update track", u.title, u.performer, u.songwriter, isrc, u.pregap_s, u.crossfade_s, u.side,
      u.snapshot_id.has_value(), snapshot_id, track_id);
  if (!r) return r.error();
  if (auto ok = check_album(*this, before->session_id); !ok) return ok.error();
  if (auto c = tx.commit("update track"); !c) return c.error();
  return track(track_id);
}

Result<std::vector<Track>> Store::reorder_tracks(Id session_id, const std::vector<Id>& track_ids) {
  const auto& db = impl_->db;
  sqlite::Transaction tx(db);
  if (auto r = tx.begin("reorder tracks"); !r) return r.error();
  if (auto s = session(session_id); !s) return s.error();
  auto current = tracks(session_id);
  if (!current) return current.error();
  std::set<Id> have;
  int last_position = 0;
  for (const Track& t : *current) {
    have.insert(t.id);
    last_position = std::max(last_position, t.position);
  }
  std::set<Id> given;
  for (Id id : track_ids) {
    if (!have.contains(id)) {
      return invalid("track_ids: track " + std::to_string(id) + " is not a track of session " +
                     std::to_string(session_id));
    }
    if (!given.insert(id).second) {
      return invalid("track_ids: track " + std::to_string(id) + " is listed twice");
    }
  }
  if (given.size() != have.size()) {
    for (Id id : have) {
      if (!given.contains(id)) {
        return invalid("track_ids: must list every track of the session; track " +
                       std::to_string(id) + " is missing");
      }
    }
  }
  // Positions are UNIQUE per session and CHECK >= 1: move every track above the highest
  // position first, so that no row takes a place another still holds.
  auto r = db.run("UPDATE tracks SET position = position + ? WHERE session_id = ?",
                  "reorder tracks", last_position, session_id);
  for (std::size_t i = 0; r && i < track_ids.size(); ++i) {
    r = db.run("UPDATE tracks SET position = ? WHERE id = ?", "reorder tracks",
               static_cast<int>(i) + 1, track_ids[i]);
  }
  if (r && !track_ids.empty()) {
    r = db.run("UPDATE tracks SET crossfade_s = 0 WHERE id = ?", "reorder tracks", track_ids[0]);
  }
  if (!r) return r.error();
  if (auto ok = check_album(*this, session_id); !ok) return ok.error();
  if (auto c = tx.commit("reorder tracks"); !c) return c.error();
  return tracks(session_id);
}

Result<std::optional<SourceFigures>> Store::source_figures(std::string_view file_sha256) const {
  using Row = std::optional<SourceFigures>;
  // One json_extract with several paths parses the report once and answers a small array.
  auto rows = detail::query_all<Row>(
      impl_->db,
      "SELECT json_extract(report_json, '$.loudness.integrated_lufs', '$.loudness.lra_lu', "
      "'$.loudness.true_peak_dbtp', '$.duration_s', '$.error') FROM reports "
      "WHERE kind = 'source' AND label = ? ORDER BY id DESC LIMIT 1",
      "read source analysis",
      [](const sqlite::Statement& st) -> Row {
        const auto figures = detail::parse_stored_json(st.text(0));
        // An analysis that failed has an "error" and no figures.
        if (!figures.is_array() || figures.size() != 5 || !figures[4].is_null()) {
          return std::nullopt;
        }
        return SourceFigures{number_in(figures, 0), number_in(figures, 1), number_in(figures, 2),
                             number_in(figures, 3)};
      },
      file_sha256);
  if (!rows) return rows.error();
  return rows->empty() ? Row{} : rows->front();
}

}  // namespace lacquer::session
