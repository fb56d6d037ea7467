// The album's rules and its JSON. Every album value passes through here, whichever way
// it arrives (the store's writes, the API, a hand-written album.json).
#include "lacquer/session/album.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "lacquer/session/store.hpp"

namespace lacquer::session {

namespace {

Error refuse(std::string_view field, const std::string& rule) {
  return {ErrorCode::invalid_argument, std::string(field) + ": " + rule};
}

std::string number(double v) {
  nlohmann::json j = v;
  return j.dump();
}

// "track 2 (Intro)" in front of a track's refusal, so an album's error names its track.
Error in_track(const AlbumTrack& t, const Error& e) {
  std::string who = "track " + std::to_string(t.position);
  if (!t.title.empty()) who += " (" + t.title + ")";
  return {e.code, who + ": " + e.message};
}

}  // namespace

// Single values ----------------------------------------------------------------------

// ISRC (ISO 3901): country (2 letters), registrant (3 letters or digits), year
// (2 digits), designation (5 digits); dashes are presentation only.
Result<std::string> check_isrc(std::string_view isrc) {
  std::string s;
  for (char c : isrc) {
    if (c == '-') continue;
    s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  bool ok = s.size() == 12;
  for (std::size_t i = 0; ok && i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    ok = i < 2 ? std::isupper(c) != 0 : i < 5 ? std::isalnum(c) != 0 : std::isdigit(c) != 0;
  }
  if (s.empty() || ok) return s;
  return refuse("isrc", "'" + std::string(isrc) +
                            "' is not an ISRC: 12 characters matching "
                            "^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$ (CC-XXX-YY-NNNNN)");
}

bool gtin_check_digit_ok(std::string_view digits) noexcept {
  if (digits.size() != 12 && digits.size() != 13) return false;
  if (!std::all_of(digits.begin(), digits.end(),
                   [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return false;
  }
  // GS1: from the digit left of the check digit leftwards, weights 3, 1, 3, ...
  int sum = 0;
  int weight = 3;
  for (auto i = digits.size() - 1; i-- > 0;) {
    sum += (digits[i] - '0') * weight;
    weight = 4 - weight;
  }
  return (10 - sum % 10) % 10 == digits.back() - '0';
}

Result<std::string> check_catalogue(std::string_view catalogue) {
  std::string s;
  for (char c : catalogue) {
    if (c != ' ' && c != '-') s += c;
  }
  if (s.empty()) return s;
  const bool digits = std::all_of(
      s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  if (!digits || (s.size() != 12 && s.size() != 13)) {
    return refuse("catalogue", "'" + std::string(catalogue) +
                                   "' is not an EAN-13 (13 digits) or UPC-A (12 digits)");
  }
  if (!gtin_check_digit_ok(s)) {
    return refuse("catalogue", "'" + std::string(catalogue) + "' fails the " +
                                   (s.size() == 13 ? "EAN-13" : "UPC-A") +
                                   " check digit (the last digit must be the GS1 check digit "
                                   "of the others)");
  }
  return s;
}

Result<void> check_year(std::optional<int> year) {
  if (year && (*year < kYearMin || *year > kYearMax)) {
    return refuse("year", std::to_string(*year) + " is not between " + std::to_string(kYearMin) +
                              " and " + std::to_string(kYearMax));
  }
  return {};
}

Result<void> check_pregap(double pregap_s) {
  if (!std::isfinite(pregap_s) || pregap_s < 0.0 || pregap_s > kPregapMaxS) {
    return refuse("pregap_s",
                  number(pregap_s) + " is not between 0 and " + number(kPregapMaxS) + " seconds");
  }
  return {};
}

Result<void> check_crossfade(double crossfade_s, bool first,
                             std::optional<double> previous_duration_s) {
  if (!std::isfinite(crossfade_s) || crossfade_s < 0.0 || crossfade_s > kCrossfadeMaxS) {
    return refuse("crossfade_s", number(crossfade_s) + " is not between 0 and " +
                                     number(kCrossfadeMaxS) + " seconds");
  }
  if (first && crossfade_s > 0.0) {
    return refuse("crossfade_s", "the first track has no previous track to crossfade from");
  }
  if (previous_duration_s && crossfade_s > *previous_duration_s) {
    return refuse("crossfade_s", number(crossfade_s) + " s is longer than the previous track (" +
                                     number(*previous_duration_s) + " s)");
  }
  return {};
}

Result<void> check_side(std::string_view side) {
  if (side.empty() || (side.size() == 1 && side[0] >= 'A' && side[0] <= 'Z')) return {};
  return refuse("side", "'" + std::string(side) +
                            "' is not a vinyl side: one capital letter "
                            "\"A\"..\"Z\", or \"\"");
}

// The album ----------------------------------------------------------------------------

Result<void> validate_album(const Album& album) {
  if (album.title.empty()) return refuse("title", "an album needs a title");
  if (auto r = check_year(album.year); !r) return r;
  if (auto r = check_catalogue(album.catalogue); !r) return r.error();
  for (std::size_t i = 0; i < album.tracks.size(); ++i) {
    const AlbumTrack& t = album.tracks[i];
    if (t.position != static_cast<int>(i) + 1) {
      return in_track(t, refuse("position", "positions must run 1, 2, ... in order; expected " +
                                                std::to_string(i + 1)));
    }
    if (t.file.empty()) return in_track(t, refuse("file", "a track needs a source file"));
    auto isrc = check_isrc(t.isrc);
    if (!isrc) return in_track(t, isrc.error());
    if (*isrc != t.isrc) {
      return in_track(t, refuse("isrc", "'" + t.isrc + "' must be written as " + *isrc));
    }
    const std::optional<double> previous = i == 0 ? std::nullopt : album.tracks[i - 1].duration_s;
    for (auto r : {check_pregap(t.pregap_s), check_crossfade(t.crossfade_s, i == 0, previous),
                   check_side(t.side)}) {
      if (!r) return in_track(t, r.error());
    }
    if (!t.snapshot.is_null() && !t.snapshot.is_object()) {
      return in_track(t, refuse("snapshot", "must be an object of parameter paths to values"));
    }
  }
  return {};
}

namespace {

// An album with, per track, what the album shows of its source analysis (or null).
struct StoredAlbum {
  Album album;
  std::vector<nlohmann::json> analysis;
};

Result<StoredAlbum> load(const Store& store, Id session_id) {
  auto session = store.session(session_id);
  if (!session) return session.error();
  auto tracks = store.tracks(session_id);
  if (!tracks) return tracks.error();
  StoredAlbum out;
  out.album = Album{.session_id = session->id,
                    .title = session->title,
                    .artist = session->artist,
                    .year = session->year,
                    .label = session->label,
                    .catalogue = session->catalogue};
  Album& a = out.album;
  for (const Track& t : *tracks) {
    AlbumTrack at{.id = t.id,
                  .position = t.position,
                  .title = t.title,
                  .performer = t.performer,
                  .songwriter = t.songwriter,
                  .isrc = t.isrc,
                  .file = t.file_path,
                  .file_sha256 = t.file_sha256,
                  .pregap_s = t.gap_before_s,
                  .crossfade_s = t.crossfade_s,
                  .side = t.side,
                  .snapshot_id = t.snapshot_id};
    if (t.snapshot_id) {
      auto snap = store.snapshot(*t.snapshot_id);
      if (!snap) return snap.error();
      at.snapshot = snap->state;
    }
    auto figures = store.source_figures(t.file_sha256);
    if (!figures) return figures.error();
    nlohmann::json analysis = nullptr;
    if (*figures) {
      const SourceFigures& f = **figures;
      at.duration_s = f.duration_s;
      analysis = {{"integrated_lufs", nullptr},
                  {"lra_lu", nullptr},
                  {"true_peak_dbtp", nullptr},
                  {"duration_s", nullptr}};
      if (f.integrated_lufs) analysis["integrated_lufs"] = *f.integrated_lufs;
      if (f.lra_lu) analysis["lra_lu"] = *f.lra_lu;
      if (f.true_peak_dbtp) analysis["true_peak_dbtp"] = *f.true_peak_dbtp;
      if (f.duration_s) analysis["duration_s"] = *f.duration_s;
    }
    a.tracks.push_back(std::move(at));
    out.analysis.push_back(std::move(analysis));
  }
  return out;
}

// Loudest and quietest analysed tracks by integrated loudness (silence, null, left out).
nlohmann::json spread(const Album& a, const std::vector<nlohmann::json>& analysis) {
  const AlbumTrack* loudest = nullptr;
  const AlbumTrack* quietest = nullptr;
  double hi = 0.0;
  double lo = 0.0;
  int counted = 0;
  for (std::size_t i = 0; i < a.tracks.size(); ++i) {
    const auto& an = analysis[i];
    if (!an.is_object() || !an["integrated_lufs"].is_number()) continue;
    const double v = an["integrated_lufs"].get<double>();
    if (counted == 0 || v > hi) hi = v, loudest = &a.tracks[i];
    if (counted == 0 || v < lo) lo = v, quietest = &a.tracks[i];
    ++counted;
  }
  if (counted < 2) return nullptr;
  return {{"loudness_spread_lu", hi - lo},
          {"loudest", loudest->position},
          {"quietest", quietest->position}};
}

nlohmann::json optional_id(const std::optional<Id>& id) {
  return id ? nlohmann::json(*id) : nlohmann::json(nullptr);
}

}  // namespace

Result<Album> album_from_store(const Store& store, Id session_id) {
  auto loaded = load(store, session_id);
  if (!loaded) return loaded.error();
  return std::move(loaded->album);
}

Result<nlohmann::json> album_json(const Store& store, Id session_id, bool with_snapshots) {
  auto loaded = load(store, session_id);
  if (!loaded) return loaded.error();
  const Album& a = loaded->album;
  nlohmann::json tracks = nlohmann::json::array();
  for (std::size_t i = 0; i < a.tracks.size(); ++i) {
    const AlbumTrack& t = a.tracks[i];
    nlohmann::json jt = {{"id", optional_id(t.id)},
                         {"position", t.position},
                         {"title", t.title},
                         {"performer", t.performer},
                         {"songwriter", t.songwriter},
                         {"isrc", t.isrc},
                         {"file", t.file},
                         {"file_sha256", t.file_sha256},
                         {"pregap_s", t.pregap_s},
                         {"crossfade_s", t.crossfade_s},
                         {"side", t.side},
                         {"snapshot_id", optional_id(t.snapshot_id)},
                         {"analysis", loaded->analysis[i]}};
    if (with_snapshots) jt["snapshot"] = t.snapshot;
    tracks.push_back(std::move(jt));
  }
  return nlohmann::json{{"session_id", optional_id(a.session_id)},
                        {"title", a.title},
                        {"artist", a.artist},
                        {"year", a.year ? nlohmann::json(*a.year) : nlohmann::json(nullptr)},
                        {"label", a.label},
                        {"catalogue", a.catalogue},
                        {"tracks", std::move(tracks)},
                        {"spread", spread(a, loaded->analysis)}};
}

// album.json ---------------------------------------------------------------------------

namespace {

// Reads fields of one JSON object by name, refusing wrong types and unknown keys.
class Fields {
 public:
  Fields(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Error refused(std::string_view field, const std::string& rule) const {
    return {ErrorCode::invalid_argument, where_ + std::string(field) + ": " + rule};
  }

  /// Marks `key` as known; false with `error_` set when present with the wrong type.
  template <class T>
  bool get(std::string_view key, T& out, bool required = false) {
    known_.insert(std::string(key));
    const auto it = j_.find(key);
    if (it == j_.end() || (it->is_null() && !required)) {
      if (required && !error_) error_ = refused(key, "is required");
      return !required;
    }
    if constexpr (std::is_same_v<T, std::string>) {
      if (!it->is_string()) return wrong(key, "a string");
      out = it->template get<std::string>();
    } else if constexpr (std::is_same_v<T, double>) {
      if (!it->is_number()) return wrong(key, "a number");
      out = it->template get<double>();
    } else {
      if (!it->is_number_integer()) return wrong(key, "an integer");
      out = it->template get<T>();
    }
    return true;
  }

  /// Keys the caller accepts without reading (what GET adds: ids, analysis, spread).
  void ignore(std::string_view key) { known_.insert(std::string(key)); }

  /// The first error so far, or a key nobody asked for.
  std::optional<Error> finish() const {
    if (error_) return error_;
    for (const auto& [key, value] : j_.items()) {
      if (!known_.contains(key)) return refused(key, "is not a field of the album contract");
    }
    return std::nullopt;
  }

 private:
  bool wrong(std::string_view key, const char* type) {
    if (!error_) error_ = refused(key, std::string("must be ") + type);
    return false;
  }
  const nlohmann::json& j_;
  std::string where_;
  std::set<std::string, std::less<>> known_;
  std::optional<Error> error_;
};

Result<AlbumTrack> track_from_json(const nlohmann::json& j, std::size_t index, bool& has_position) {
  const std::string where = "tracks[" + std::to_string(index) + "].";
  if (!j.is_object()) {
    return Error{ErrorCode::invalid_argument,
                 where.substr(0, where.size() - 1) + ": must be an object"};
  }
  AlbumTrack t;
  Fields f(j, where);
  std::optional<Id> id;
  Id id_value = 0;
  if (f.get("id", id_value) && j.contains("id") && !j["id"].is_null()) id = id_value;
  t.id = id;
  has_position = j.contains("position") && !j["position"].is_null();
  f.get("position", t.position);
  f.get("title", t.title);
  f.get("performer", t.performer);
  f.get("songwriter", t.songwriter);
  f.get("isrc", t.isrc);
  f.get("file", t.file, /*required=*/true);
  f.get("file_sha256", t.file_sha256);
  f.get("pregap_s", t.pregap_s);
  f.get("crossfade_s", t.crossfade_s);
  f.get("side", t.side);
  Id snapshot_id = 0;
  if (f.get("snapshot_id", snapshot_id) && j.contains("snapshot_id") &&
      !j["snapshot_id"].is_null()) {
    t.snapshot_id = snapshot_id;
  }
  f.ignore("snapshot");
  f.ignore("analysis");
  if (auto e = f.finish()) return *e;
  if (const auto it = j.find("snapshot"); it != j.end()) t.snapshot = *it;
  if (!t.file_sha256.empty()) {
    std::string sha;
    for (char c : t.file_sha256)
      sha += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (sha.size() != 64 || !std::all_of(sha.begin(), sha.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      return f.refused("file_sha256", "must be 64 hexadecimal digits");
    }
    t.file_sha256 = sha;
  }
  auto isrc = check_isrc(t.isrc);
  if (!isrc) return Error{ErrorCode::invalid_argument, where + isrc.error().message};
  t.isrc = *isrc;
  return t;
}

}  // namespace

Result<Album> album_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return refuse("album", "must be a JSON object");
  Album a;
  Fields f(j, "");
  Id session_id = 0;
  if (f.get("session_id", session_id) && j.contains("session_id") && !j["session_id"].is_null()) {
    a.session_id = session_id;
  }
  f.get("title", a.title, /*required=*/true);
  f.get("artist", a.artist);
  int year = 0;
  if (f.get("year", year) && j.contains("year") && !j["year"].is_null()) a.year = year;
  f.get("label", a.label);
  f.get("catalogue", a.catalogue);
  f.ignore("tracks");
  f.ignore("spread");
  if (auto e = f.finish()) return *e;
  auto catalogue = check_catalogue(a.catalogue);
  if (!catalogue) return catalogue.error();
  a.catalogue = *catalogue;

  const auto tracks = j.find("tracks");
  if (tracks == j.end() || !tracks->is_array() || tracks->empty()) {
    return refuse("tracks", "an album needs an array of at least one track");
  }
  std::size_t with_position = 0;
  for (std::size_t i = 0; i < tracks->size(); ++i) {
    bool has_position = false;
    auto t = track_from_json((*tracks)[i], i, has_position);
    if (!t) return t.error();
    if (has_position) ++with_position;
    a.tracks.push_back(std::move(*t));
  }
  if (with_position == 0) {
    for (std::size_t i = 0; i < a.tracks.size(); ++i)
      a.tracks[i].position = static_cast<int>(i) + 1;
  } else if (with_position != a.tracks.size()) {
    return refuse("tracks",
                  "give \"position\" on every track or on none (then the order of the "
                  "array is the album's)");
  } else {
    std::stable_sort(
        a.tracks.begin(), a.tracks.end(),
        [](const AlbumTrack& x, const AlbumTrack& y) { return x.position < y.position; });
  }
  if (auto r = validate_album(a); !r) return r.error();
  return a;
}

}  // namespace lacquer::session
