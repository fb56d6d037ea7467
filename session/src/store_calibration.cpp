// Room calibrations: each speaker's measurements, newest applied.
#include <cmath>

#include "store_impl.hpp"

namespace lacquer::session {

namespace {

using detail::invalid;

constexpr std::string_view kColumns =
    "id, speaker_set, speaker, result_json, created_unix_ms, kind";

Calibration read_calibration(const sqlite::Statement& st) {
  return Calibration{st.int64(0), st.text(1), st.text(2), detail::parse_stored_json(st.text(3)),
                     st.int64(4), st.text(5)};
}

bool finite_number(const nlohmann::json& result, const char* key) {
  const auto it = result.find(key);
  return it != result.end() && it->is_number() && std::isfinite(it->get<double>());
}

}  // namespace

Result<Calibration> Store::add_calibration(std::string_view speaker_set, std::string_view speaker,
                                           const nlohmann::json& result, std::string_view kind) {
  if (speaker_set.empty() || speaker.empty()) {
    return invalid("a calibration needs its speaker set and speaker");
  }
  if (kind != "measurement" && kind != "verification") {
    return invalid("a calibration's kind is measurement or verification");
  }
  if (!result.is_object()) return invalid("a calibration result is a JSON object");
  for (const char* key : {"delay_ms", "level_db"}) {
    if (!finite_number(result, key)) {
      return invalid(std::string("a calibration result needs a finite number ") + key);
    }
  }
  const auto now = now_unix_ms();
  auto inserted = impl_->db.run(
      "INSERT INTO calibrations (speaker_set, speaker, result_json, created_unix_ms, kind) "
      "VALUES (?, ?, ?, ?, ?)",
      "add calibration", speaker_set, speaker, result.dump(), now, kind);
  if (!inserted) return inserted.error();
  return Calibration{impl_->db.last_insert_rowid(), std::string(speaker_set),
                     std::string(speaker), result, now, std::string(kind)};
}

Result<std::vector<Calibration>> Store::latest_calibrations(std::string_view speaker_set,
                                                           std::string_view kind) const {
  // The newest row of the kind per speaker; the id breaks a tie within one millisecond. An
  // empty view binds as NULL, hence IFNULL.
  return detail::query_all<Calibration>(
      impl_->db,
      "SELECT " + std::string(kColumns) +
          " FROM calibrations c WHERE (IFNULL(?1, '') = '' OR speaker_set = ?1) AND id = ("
          "SELECT id FROM calibrations n WHERE n.speaker_set = c.speaker_set AND "
          "n.speaker = c.speaker AND n.kind = ?2 ORDER BY created_unix_ms DESC, id DESC LIMIT 1) "
          "ORDER BY speaker_set, speaker",
      "list calibrations", read_calibration, speaker_set, kind);
}

Result<std::vector<Calibration>> Store::calibration_history(std::string_view speaker_set,
                                                            std::string_view speaker) const {
  return detail::query_all<Calibration>(
      impl_->db,
      "SELECT " + std::string(kColumns) +
          " FROM calibrations WHERE speaker_set = ? AND speaker = ? "
          "ORDER BY created_unix_ms DESC, id DESC",
      "calibration history", read_calibration, speaker_set, speaker);
}

}  // namespace lacquer::session
