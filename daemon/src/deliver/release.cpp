#include "release.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>

namespace lacquer::daemon::deliver {

namespace fs = std::filesystem;

namespace {

std::string text_field(const nlohmann::json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return "";
  if (!j[key].is_string()) throw DeliverError(where + key + ": expected a string");
  return j[key].get<std::string>();
}

double seconds_field(const nlohmann::json& j, const char* key, double max_s, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return 0.0;
  if (!j[key].is_number()) throw DeliverError(where + key + ": expected a number of seconds");
  const double v = j[key].get<double>();
  if (!std::isfinite(v) || v < 0.0 || v > max_s) {
    throw DeliverError(where + key + ": " + std::to_string(v) + " is outside 0.." +
                       std::to_string(static_cast<int>(max_s)) + " s");
  }
  return v;
}

// GS1 check digit: weights 3 and 1 alternating from the digit before the check digit.
bool gtin_ok(const std::string& digits) {
  if ((digits.size() != 12 && digits.size() != 13) ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  int sum = 0;
  for (std::size_t i = 0; i + 1 < digits.size(); ++i) {
    const int weight = (digits.size() - 2 - i) % 2 == 0 ? 3 : 1;
    sum += weight * (digits[i] - '0');
  }
  return (10 - sum % 10) % 10 == digits.back() - '0';
}

}  // namespace

std::string track_name(const ReleaseTrack& track) {
  std::string s = "track " + std::to_string(track.position);
  if (!track.title.empty()) s += " (" + track.title + ")";
  return s;
}

Release read_album_file(const fs::path& album_file) {
  std::ifstream in(album_file);
  if (!in) throw DeliverError("cannot read " + album_file.string());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw DeliverError(album_file.string() + " is not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  if (!j.is_object()) throw DeliverError(album_file.string() + " must hold a JSON object");
  Release r;
  r.title = text_field(j, "title", "");
  r.artist = text_field(j, "artist", "");
  r.label = text_field(j, "label", "");
  r.catalogue = text_field(j, "catalogue", "");
  if (!r.catalogue.empty() && !gtin_ok(r.catalogue)) {
    throw DeliverError("catalogue: '" + r.catalogue +
                       "' is not an EAN-13 or UPC-A number with a valid check digit");
  }
  if (j.contains("year") && !j["year"].is_null()) {
    if (!j["year"].is_number_integer() || j["year"].get<int>() < 1900 || j["year"].get<int>() > 2100) {
      throw DeliverError("year: expected a whole year 1900..2100");
    }
    r.year = j["year"].get<int>();
  }
  if (!j.contains("tracks") || !j["tracks"].is_array() || j["tracks"].empty()) {
    throw DeliverError("tracks: expected an array of at least one track");
  }
  static const std::regex isrc_form("^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$");
  const fs::path base = album_file.has_parent_path() ? album_file.parent_path() : fs::path(".");
  for (const auto& t : j["tracks"]) {
    ReleaseTrack track;
    track.position = t.value("position", static_cast<int>(r.tracks.size()) + 1);
    const std::string where = "track " + std::to_string(track.position) + ": ";
    if (!t.is_object()) throw DeliverError(where + "expected an object");
    track.title = text_field(t, "title", where);
    track.performer = text_field(t, "performer", where);
    track.songwriter = text_field(t, "songwriter", where);
    track.isrc = text_field(t, "isrc", where);
    if (!track.isrc.empty() && !std::regex_match(track.isrc, isrc_form)) {
      throw DeliverError(where + "isrc: '" + track.isrc + "' is not of the form ^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$");
    }
    const std::string file = text_field(t, "file", where);
    if (file.empty()) throw DeliverError(where + "file: required");
    track.file = fs::path(file).is_absolute() ? fs::path(file) : base / file;
    track.file_sha256 = text_field(t, "file_sha256", where);
    track.pregap_s = seconds_field(t, "pregap_s", 60.0, where);
    track.crossfade_s = seconds_field(t, "crossfade_s", 30.0, where);
    if (r.tracks.empty() && track.crossfade_s > 0.0) {
      throw DeliverError(where + "crossfade_s: the first track has no previous track to crossfade from");
    }
    if (t.contains("snapshot")) track.snapshot = t["snapshot"];
    r.tracks.push_back(std::move(track));
  }
  std::stable_sort(r.tracks.begin(), r.tracks.end(),
                   [](const ReleaseTrack& a, const ReleaseTrack& b) { return a.position < b.position; });
  for (std::size_t i = 0; i < r.tracks.size(); ++i) {
    if (r.tracks[i].position != static_cast<int>(i) + 1) {
      throw DeliverError("tracks: positions must be 1.." + std::to_string(r.tracks.size()) + ", each once");
    }
  }
  return r;
}

}  // namespace lacquer::daemon::deliver
