// Notes, observations and reports.
#include <cmath>

#include "store_impl.hpp"

namespace lacquer::session {

namespace {

using detail::invalid;
using detail::not_found;

using detail::kNoteColumns;
using detail::read_note;

Observation read_observation(const sqlite::Statement& st) {
  return Observation{st.int64(0), st.int64(1), st.opt_int64(2),
                     st.text(3),  st.text(4),  st.int64(5)};
}

Report read_report(const sqlite::Statement& st) {
  return Report{st.int64(0),     st.int64(1),
                st.opt_int64(2), parse_report_kind(st.text(3)).value_or(ReportKind::render),
                st.text(4),      detail::parse_stored_json(st.text(5)),
                st.int64(6)};
}

std::optional<std::string_view> compare_name(const std::optional<CompareState>& c) {
  if (!c) return std::nullopt;
  return to_string(*c);
}

}  // namespace

Note detail::read_note(const sqlite::Statement& st) {
  Note n;
  n.id = st.int64(0);
  n.session_id = st.int64(1);
  n.track_id = st.opt_int64(2);
  n.time_s = st.real(3);
  n.author_client_id = st.opt_int64(4);
  n.author = st.text(5);
  n.text = st.text(6);
  n.status = parse_note_status(st.text(7)).value_or(NoteStatus::open);
  n.created_unix_ms = st.int64(8);
  n.resolved_unix_ms = st.opt_int64(9);
  n.resolved_by = st.text(10);
  n.snapshot_id = st.opt_int64(11);
  if (!st.is_null(12)) n.compare_state = parse_compare_state(st.text(12));
  n.reference_id = st.opt_int64(13);
  return n;
}

Result<Note> Store::add_note(const NewNote& n) {
  if (n.text.empty()) return invalid("a note needs text");
  if (!std::isfinite(n.time_s) || n.time_s < 0.0) {
    return invalid("a note's time must be zero or more seconds");
  }
  const auto& db = impl_->db;
  std::string author = n.author;
  if (author.empty() && n.author_client_id) {
    auto c = client(*n.author_client_id);
    if (!c) return c.error();
    author = c->name;
  }
  if (author.empty()) return invalid("a note needs an author");
  if (n.track_id) {
    auto t = track(*n.track_id);
    if (!t) return t.error();
    if (t->session_id != n.session_id) {
      return invalid("track " + std::to_string(*n.track_id) + " is not in session " +
                     std::to_string(n.session_id));
    }
  } else if (auto s = session(n.session_id); !s) {
    return s.error();
  }

  const auto now = now_unix_ms();
  sqlite::FullSync full(db);
  sqlite::Transaction tx(db);
  if (auto r = tx.begin("add note"); !r) return r.error();
  auto r = db.run(
      "INSERT INTO notes (session_id, track_id, time_s, author_client_id, author, text, "
      "created_unix_ms, snapshot_id, compare_state, reference_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      "add note", n.session_id, n.track_id, n.time_s, n.author_client_id, author, n.text, now,
      n.snapshot_id, compare_name(n.compare_state), n.reference_id);
  if (!r) return r.error();
  const Id id = db.last_insert_rowid();
  // Only a committed (and, with FULL, synced) note gets an id back to its author.
  if (auto c = tx.commit("add note"); !c) return c.error();
  Note out;
  out.id = id;
  out.session_id = n.session_id;
  out.track_id = n.track_id;
  out.time_s = n.time_s;
  out.author_client_id = n.author_client_id;
  out.author = std::move(author);
  out.text = n.text;
  out.created_unix_ms = now;
  out.snapshot_id = n.snapshot_id;
  out.compare_state = n.compare_state;
  out.reference_id = n.reference_id;
  return out;
}

Result<Note> Store::note(Id id) const {
  return detail::query_one<Note>(impl_->db,
                                 "SELECT " + std::string(kNoteColumns) + " FROM notes WHERE id = ?",
                                 "read note", not_found("note", id), read_note, id);
}

Result<std::vector<Note>> Store::notes(const NoteFilter& f) const {
  std::optional<std::string_view> status;
  if (f.status) status = to_string(*f.status);
  return detail::query_all<Note>(
      impl_->db,
      "SELECT " + std::string(kNoteColumns) +
          " FROM notes WHERE (?1 IS NULL OR session_id = ?1) AND (?2 IS NULL OR track_id = ?2)"
          " AND (?3 IS NULL OR status = ?3) ORDER BY session_id, track_id, time_s, id",
      "list notes", read_note, f.session_id, f.track_id, status);
}

Result<Note> Store::resolve_note(Id id, std::string_view by) {
  {
    sqlite::FullSync full(impl_->db);
    auto r = impl_->db.run(
        "UPDATE notes SET status = 'resolved', resolved_unix_ms = ?, resolved_by = ? "
        "WHERE id = ?",
        "resolve note", now_unix_ms(), by, id);
    if (!r) return r.error();
    if (impl_->db.changes() == 0) return not_found("note", id);
  }
  return note(id);
}

Result<Note> Store::reopen_note(Id id) {
  {
    sqlite::FullSync full(impl_->db);
    auto r = impl_->db.run(
        "UPDATE notes SET status = 'open', resolved_unix_ms = NULL, resolved_by = '' "
        "WHERE id = ?",
        "reopen note", id);
    if (!r) return r.error();
    if (impl_->db.changes() == 0) return not_found("note", id);
  }
  return note(id);
}

Result<Observation> Store::add_observation(Id session_id, std::optional<Id> track_id,
                                           std::string_view topic, std::string_view text) {
  if (text.empty()) return invalid("an observation needs text");
  const auto now = now_unix_ms();
  auto r = impl_->db.run(
      "INSERT INTO observations (session_id, track_id, topic, text, created_unix_ms) "
      "VALUES (?, ?, ?, ?, ?)",
      "add observation", session_id, track_id, topic, text, now);
  if (!r) return r.error();
  return Observation{impl_->db.last_insert_rowid(),
                     session_id,
                     track_id,
                     std::string(topic),
                     std::string(text),
                     now};
}

Result<std::vector<Observation>> Store::observations(Id session_id) const {
  return detail::query_all<Observation>(
      impl_->db,
      "SELECT id, session_id, track_id, topic, text, created_unix_ms FROM observations "
      "WHERE session_id = ? ORDER BY id",
      "list observations", read_observation, session_id);
}

Result<Report> Store::add_report(Id session_id, std::optional<Id> track_id, ReportKind kind,
                                 std::string_view label, const nlohmann::json& data) {
  if (!data.is_object()) return invalid("a report must be a JSON object");
  const auto now = now_unix_ms();
  auto r = impl_->db.run(
      "INSERT INTO reports (session_id, track_id, kind, label, report_json, created_unix_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      "add report", session_id, track_id, to_string(kind), label, data.dump(), now);
  if (!r) return r.error();
  return Report{
      impl_->db.last_insert_rowid(), session_id, track_id, kind, std::string(label), data, now};
}

constexpr std::string_view kReportColumns =
    "id, session_id, track_id, kind, label, report_json, created_unix_ms";

Result<Report> Store::report(Id id) const {
  return detail::query_one<Report>(
      impl_->db, "SELECT " + std::string(kReportColumns) + " FROM reports WHERE id = ?",
      "read report", not_found("report", id), read_report, id);
}

Result<std::vector<Report>> Store::reports(Id session_id) const {
  return detail::query_all<Report>(
      impl_->db,
      "SELECT " + std::string(kReportColumns) + " FROM reports WHERE session_id = ? ORDER BY id",
      "list reports", read_report, session_id);
}

Result<std::vector<Report>> Store::reports_labelled(ReportKind kind, std::string_view label) const {
  return detail::query_all<Report>(impl_->db,
                                   "SELECT " + std::string(kReportColumns) +
                                       " FROM reports WHERE kind = ? AND label = ? ORDER BY id DESC",
                                   "list reports", read_report, to_string(kind), label);
}

}  // namespace lacquer::session
