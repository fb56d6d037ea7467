// Reference tracks: masters a client points to, heard unprocessed beside the chain.
#include "store_impl.hpp"

namespace lacquer::session {

namespace {

using detail::invalid;
using detail::not_found;

constexpr std::string_view kColumns =
    "id, session_id, position, file_path, file_sha256, title, created_unix_ms";

ReferenceTrack read_reference(const sqlite::Statement& st) {
  return ReferenceTrack{st.int64(0), st.int64(1), st.integer(2), st.text(3),
                        st.text(4),  st.text(5),  st.int64(6)};
}

}  // namespace

Result<ReferenceTrack> Store::add_reference(const NewReference& r) {
  if (r.file_path.empty()) return invalid("a reference track needs a source file");
  auto digest = detail::file_digest(r.file_path, r.file_sha256);
  if (!digest) return digest.error();
  const auto& db = impl_->db;
  sqlite::Transaction tx(db);
  if (auto b = tx.begin("add reference"); !b) return b.error();
  if (auto s = session(r.session_id); !s) return s.error();
  auto last = db.prepare(
      "SELECT COALESCE(MAX(position), 0) FROM reference_tracks WHERE session_id = ?",
      "add reference");
  if (!last) return last.error();
  last->bind_all(r.session_id);
  if (auto row = last->step("add reference"); !row) return row.error();
  const int position = last->integer(0) + 1;
  const auto now = now_unix_ms();
  auto inserted = db.run(
      "INSERT INTO reference_tracks (session_id, position, file_path, file_sha256, title, "
      "created_unix_ms) VALUES (?, ?, ?, ?, ?, ?)",
      "add reference", r.session_id, position, r.file_path, *digest, r.title, now);
  if (!inserted) return inserted.error();
  const Id id = db.last_insert_rowid();
  if (auto c = tx.commit("add reference"); !c) return c.error();
  return ReferenceTrack{id, r.session_id, position, r.file_path, *digest, r.title, now};
}

Result<std::vector<ReferenceTrack>> Store::references(Id session_id) const {
  return detail::query_all<ReferenceTrack>(
      impl_->db,
      "SELECT " + std::string(kColumns) +
          " FROM reference_tracks WHERE session_id = ? ORDER BY position",
      "list references", read_reference, session_id);
}

Result<ReferenceTrack> Store::reference(Id id) const {
  return detail::query_one<ReferenceTrack>(
      impl_->db, "SELECT " + std::string(kColumns) + " FROM reference_tracks WHERE id = ?",
      "read reference", not_found("reference track", id), read_reference, id);
}

Result<void> Store::remove_reference(Id id) {
  auto r = impl_->db.run("DELETE FROM reference_tracks WHERE id = ?", "remove reference", id);
  if (!r) return r;
  if (impl_->db.changes() == 0) return not_found("reference track", id);
  return {};
}

}  // namespace lacquer::session
