// Notes for spreadsheets, Audacity and REAPER.
#include "lacquer/session/note_export.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace lacquer::session {

namespace {

// RFC 4180: quote every field that holds a comma, quote or line break; double quotes.
// A cell a spreadsheet would read as a formula (=, +, -, @, tab or CR first) is written as
// text behind an apostrophe, as OWASP advises: a note "=HYPERLINK(...)" stays words.
std::string csv_field(std::string_view s) {
  constexpr std::string_view kFormulaStarts = "=+-@\t\r";
  const bool formula = !s.empty() && kFormulaStarts.find(s.front()) != std::string_view::npos;
  if (!formula && s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = formula ? "\"'" : "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string optional_id(const std::optional<Id>& id) {
  return id ? std::to_string(*id) : std::string();
}

std::string iso_utc(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::string seconds_fixed(double s, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, s);
  return buf;
}

// Label tracks are one line per label: tabs and line breaks inside would split it.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

std::string label_text(const Note& n) {
  return n.author.empty() ? n.text : n.author + ": " + n.text;
}

}  // namespace

std::string format_track_time(double seconds) {
  const auto total_ms = static_cast<std::int64_t>(std::llround(std::max(0.0, seconds) * 1000.0));
  const auto minutes = total_ms / 60000;
  const auto ms = total_ms % 60000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld:%02lld.%03lld", static_cast<long long>(minutes),
                static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
  return buf;
}

std::string notes_csv(std::span<const Note> notes, std::span<const Track> tracks) {
  std::string out =
      "id,session_id,track_id,track,time_s,time,author,status,text,created,resolved_by\r\n";
  for (const auto& n : notes) {
    std::string title;
    for (const auto& t : tracks) {
      if (n.track_id && t.id == *n.track_id) title = t.title;
    }
    out += std::to_string(n.id) + ',' + std::to_string(n.session_id) + ',' +
           optional_id(n.track_id) + ',' + csv_field(title) + ',' + seconds_fixed(n.time_s, 3) +
           ',' + format_track_time(n.time_s) + ',' + csv_field(n.author) + ',' +
           std::string(to_string(n.status)) + ',' + csv_field(n.text) + ',' +
           iso_utc(n.created_unix_ms) + ',' + csv_field(n.resolved_by) + "\r\n";
  }
  return out;
}

std::string notes_audacity_labels(std::span<const Note> notes) {
  std::string out;
  for (const auto& n : notes) {
    const std::string t = seconds_fixed(n.time_s, 6);
    out += t + '\t' + t + '\t' + one_line(label_text(n)) + '\n';
  }
  return out;
}

std::string notes_reaper_markers(std::span<const Note> notes) {
  std::string out = "#,Name,Start,End,Length\n";
  int index = 1;
  for (const auto& n : notes) {
    out += 'M' + std::to_string(index++) + ',' + csv_field(one_line(label_text(n))) + ',' +
           format_track_time(n.time_s) + ",,\n";
  }
  return out;
}

}  // namespace lacquer::session
