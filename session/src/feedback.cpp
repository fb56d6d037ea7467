// The feedback-loop queries: patterns across every session of a client or a studio.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "lacquer/session/feedback.hpp"
#include "store_impl.hpp"

namespace lacquer::session {

namespace {

// Every query joins sessions as s and filters it with ?1 (client) and ?2 (studio).
constexpr std::string_view kScope =
    "(?1 IS NULL OR s.client = ?1 COLLATE NOCASE) AND (?2 IS NULL OR s.studio = ?2 COLLATE NOCASE)";

std::string scoped(std::string_view head, std::string_view tail = {}) {
  return std::string(head) + " AND " + std::string(kScope) + " " + std::string(tail);
}

/// Mean and population standard deviation, by Welford's update.
struct Running {
  int n = 0;
  double mean = 0.0;
  double m2 = 0.0;
  double min = 0.0;
  double max = 0.0;
  void add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
    min = n == 1 ? x : std::min(min, x);
    max = n == 1 ? x : std::max(max, x);
  }
  double stddev() const { return n > 0 ? std::sqrt(m2 / n) : 0.0; }
};

bool is_on(const nlohmann::json& state, const std::string& path) {
  const auto it = state.find(path);
  if (it == state.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number()) return it->get<double>() != 0.0;
  return false;
}

// `/chain/eq/<N>/gain` -> N; anything else -> 0.
int eq_band_of_gain(const std::string& path) {
  constexpr std::string_view kPrefix = "/chain/eq/";
  constexpr std::string_view kSuffix = "/gain";
  if (path.size() <= kPrefix.size() + kSuffix.size() || !path.starts_with(kPrefix) ||
      !path.ends_with(kSuffix)) {
    return 0;
  }
  const std::string digits =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 2) return 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
  }
  return std::stoi(digits);
}

struct BandAccumulator {
  Running gain;
  int freq_n = 0;
  double log_freq_sum = 0.0;
};

// Applied EQ: the snapshot each track currently has applied, with bands switched off, bands
// whose type has no gain (pass, notch) and a bypassed EQ stage left out, since their gain
// shapes nothing.
void add_eq(const nlohmann::json& state, std::map<int, BandAccumulator>& bands) {
  if (!state.is_object() || is_on(state, "/chain/eq/bypass")) return;
  for (const auto& [path, value] : state.items()) {
    const int band = eq_band_of_gain(path);
    if (band == 0 || !value.is_number()) continue;
    const std::string base = "/chain/eq/" + std::to_string(band);
    if (!is_on(state, base + "/enabled")) continue;
    const auto type = state.find(base + "/type");
    if (type != state.end() && type->is_string() && *type != "bell" && *type != "low_shelf" &&
        *type != "high_shelf") {
      continue;
    }
    auto& acc = bands[band];
    acc.gain.add(value.get<double>());
    const auto freq = state.find(base + "/freq");
    if (freq != state.end() && freq->is_number() && freq->get<double>() > 0.0) {
      ++acc.freq_n;
      acc.log_freq_sum += std::log(freq->get<double>());
    }
  }
}

std::string note_words(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

Result<FeedbackSummary> Store::feedback(const FeedbackScope& scope,
                                        const FeedbackOptions& options) const {
  const auto& db = impl_->db;
  const auto& client = scope.client;
  const auto& studio = scope.studio;
  FeedbackSummary out;
  out.scope = scope;

  auto counts = detail::query_one<std::pair<int, int>>(
      db,
      scoped("SELECT count(DISTINCT s.id), count(t.id) FROM sessions s "
             "LEFT JOIN tracks t ON t.session_id = s.id WHERE 1"),
      "feedback: count sessions", Error{},
      [](const sqlite::Statement& st) {
        return std::pair{st.integer(0), st.integer(1)};
      },
      client, studio);
  if (!counts) return counts.error();
  out.sessions = counts->first;
  out.tracks = counts->second;

  auto states = detail::query_all<std::string>(
      db,
      scoped("SELECT sn.state_json FROM tracks t JOIN sessions s ON s.id = t.session_id "
             "JOIN snapshots sn ON sn.id = t.snapshot_id WHERE 1"),
      "feedback: applied EQ", [](const sqlite::Statement& st) { return st.text(0); }, client,
      studio);
  if (!states) return states.error();
  std::map<int, BandAccumulator> bands;
  for (const auto& text : *states) add_eq(detail::parse_stored_json(text), bands);
  for (const auto& [band, acc] : bands) {
    EqBandStats b;
    b.band = band;
    b.tracks = acc.gain.n;
    b.mean_gain_db = acc.gain.mean;
    b.stddev_gain_db = acc.gain.stddev();
    b.min_gain_db = acc.gain.min;
    b.max_gain_db = acc.gain.max;
    if (acc.freq_n > 0) b.mean_freq_hz = std::exp(acc.log_freq_sum / acc.freq_n);
    out.eq_bands.push_back(b);
  }

  // The newest render of each track stands for how its master was made; earlier
  // renders were steps on the way.
  auto gr = detail::query_all<double>(
      db,
      scoped("SELECT json_extract(r.report_json, '$.limiter.max_gain_reduction_db') AS gr "
             "FROM reports r JOIN sessions s ON s.id = r.session_id "
             "WHERE r.kind = 'render' AND gr IS NOT NULL AND r.id = (SELECT max(r2.id) FROM "
             "reports r2 WHERE r2.kind = 'render' AND r2.session_id = r.session_id AND "
             "r2.track_id IS r.track_id AND json_extract(r2.report_json, "
             "'$.limiter.max_gain_reduction_db') IS NOT NULL)"),
      "feedback: limiter", [](const sqlite::Statement& st) { return st.real(0); }, client, studio);
  if (!gr) return gr.error();
  Running limiter;
  for (double g : *gr) {
    limiter.add(g);
    if (g >= options.limiter_hard_db) ++out.limiter.hard;
  }
  out.limiter.renders = limiter.n;
  out.limiter.mean_max_gain_reduction_db = limiter.mean;

  // QC events of the mixes as received: the newest source analysis of each track.
  // (json_each has a column named type: the event's type needs another name.)
  auto events = detail::query_all<QcEventStats>(
      db,
      scoped(
          "SELECT json_extract(e.value, '$.type') AS event_type, count(*), "
          "count(DISTINCT r.track_id), count(DISTINCT r.session_id) "
          "FROM reports r JOIN sessions s ON s.id = r.session_id, "
          "json_each(r.report_json, '$.events') e "
          "WHERE r.kind = 'source' AND event_type IS NOT NULL AND r.id = (SELECT max(r2.id) FROM "
          "reports r2 WHERE r2.kind = 'source' AND r2.session_id = r.session_id AND "
          "r2.track_id IS r.track_id)",
          "GROUP BY event_type ORDER BY 4 DESC, 2 DESC, 1"),
      "feedback: QC events",
      [](const sqlite::Statement& st) {
        return QcEventStats{st.text(0), st.integer(1), st.integer(2), st.integer(3)};
      },
      client, studio);
  if (!events) return events.error();
  out.qc_events = std::move(*events);

  // The mixes as received: the newest source analysis of each track, for the spectrum's
  // recurring peaks and dips and the loudness habits.
  struct SourceAnalysis {
    Id session_id;
    std::string report;
  };
  auto sources = detail::query_all<SourceAnalysis>(
      db,
      scoped("SELECT r.session_id, r.report_json FROM reports r "
             "JOIN sessions s ON s.id = r.session_id "
             "WHERE r.kind = 'source' AND r.id = (SELECT max(r2.id) FROM reports r2 WHERE "
             "r2.kind = 'source' AND r2.session_id = r.session_id AND r2.track_id IS r.track_id)"),
      "feedback: source analyses",
      [](const sqlite::Statement& st) { return SourceAnalysis{st.int64(0), st.text(1)}; },
      client, studio);
  if (!sources) return sources.error();
  struct FeatureAcc {
    Running height;
    std::set<Id> sessions;
  };
  std::map<std::pair<long, bool>, FeatureAcc> features;  // (band centre in mHz, peak)
  std::set<Id> analysed_sessions;
  Running mix_lufs, mix_tp;
  for (const auto& src : *sources) {
    const auto report = nlohmann::json::parse(src.report, nullptr, false);
    if (!report.is_object()) continue;
    const auto loudness = report.find("loudness");
    if (loudness != report.end() && loudness->is_object()) {
      const auto lufs = loudness->find("integrated_lufs");
      const auto tp = loudness->find("true_peak_dbtp");
      if (lufs != loudness->end() && lufs->is_number()) mix_lufs.add(lufs->get<double>());
      if (tp != loudness->end() && tp->is_number()) {
        mix_tp.add(tp->get<double>());
        if (tp->get<double>() > 0.0) ++out.mixes.over_full_scale;
      }
    }
    const auto spectrum = report.find("spectrum");
    if (spectrum == report.end() || !spectrum->is_object()) continue;
    std::vector<double> centres_hz, levels;
    try {
      centres_hz = spectrum->at("bands_hz").get<std::vector<double>>();
      for (const auto& v : spectrum->at("level_db")) {
        levels.push_back(v.is_number() ? v.get<double>() : -HUGE_VAL);
      }
    } catch (const nlohmann::json::exception&) {
      continue;  // a report without a usable spectrum says nothing about it
    }
    analysed_sessions.insert(src.session_id);
    for (const auto& [freq, height] :
         spectral_features(centres_hz, levels, options.spectral_feature_db)) {
      auto& acc = features[{std::lround(freq * 1000.0), height > 0.0}];
      acc.height.add(height);
      acc.sessions.insert(src.session_id);
    }
  }
  for (const auto& [key, acc] : features) {
    if (acc.sessions.size() < 2) continue;
    out.spectral.push_back({static_cast<double>(key.first) / 1000.0, key.second, acc.height.mean,
                            acc.height.n, static_cast<int>(acc.sessions.size()),
                            static_cast<int>(analysed_sessions.size())});
  }
  std::sort(out.spectral.begin(), out.spectral.end(), [](const auto& a, const auto& b) {
    if (a.sessions != b.sessions) return a.sessions > b.sessions;
    if (a.tracks != b.tracks) return a.tracks > b.tracks;
    return std::abs(a.mean_db) > std::abs(b.mean_db);
  });
  out.mixes.mixes = mix_lufs.n;
  out.mixes.mean_integrated_lufs = mix_lufs.mean;
  out.mixes.mean_true_peak_dbtp = mix_tp.mean;

  auto masters = detail::query_all<std::pair<double, std::optional<double>>>(
      db,
      scoped("SELECT json_extract(r.report_json, '$.loudness.integrated_lufs') AS lufs, "
             "json_extract(r.report_json, '$.loudness.true_peak_dbtp') "
             "FROM reports r JOIN sessions s ON s.id = r.session_id "
             "WHERE r.kind = 'deliverable' AND lufs IS NOT NULL"),
      "feedback: delivered loudness",
      [](const sqlite::Statement& st) {
        return std::pair{st.real(0), st.opt_real(1)};
      },
      client, studio);
  if (!masters) return masters.error();
  Running lufs;
  for (const auto& [l, tp] : *masters) {
    lufs.add(l);
    if (tp) {
      out.delivered.max_true_peak_dbtp =
          std::max(out.delivered.max_true_peak_dbtp.value_or(*tp), *tp);
    }
  }
  out.delivered.masters = lufs.n;
  out.delivered.mean_integrated_lufs = lufs.mean;
  out.delivered.stddev_integrated_lufs = lufs.stddev();
  out.delivered.min_integrated_lufs = lufs.min;
  out.delivered.max_integrated_lufs = lufs.max;

  // Named columns of a subquery, so read_note() reads them as it does from notes.
  auto open = detail::query_all<OpenNote>(
      db,
      "SELECT " + std::string(detail::kNoteColumns) +
          ", session_title, track_title FROM (SELECT n.*, s.title AS session_title, "
          "COALESCE(t.title, '') AS track_title FROM notes n "
          "JOIN sessions s ON s.id = n.session_id LEFT JOIN tracks t ON t.id = n.track_id "
          "WHERE n.status = 'open' AND " +
          std::string(kScope) + ") ORDER BY created_unix_ms, id",
      "feedback: open notes",
      [](const sqlite::Statement& st) {
        return OpenNote{detail::read_note(st), st.text(14), st.text(15)};
      },
      client, studio);
  if (!open) return open.error();
  // A note said again (the same words, case, spacing and punctuation aside) is one row with
  // its repeats: "low mids muddy again" three times is one thing to fix, heard three times.
  std::map<std::string, std::size_t> first_with;
  for (auto& o : *open) {
    const auto [it, fresh] = first_with.emplace(note_words(o.note.text), out.open_notes.size());
    if (fresh) {
      out.open_notes.push_back(std::move(o));
    } else {
      out.open_notes[it->second].repeats.push_back(std::move(o));
    }
  }
  return out;
}

std::vector<std::pair<double, double>> spectral_features(const std::vector<double>& bands_hz,
                                                         const std::vector<double>& level_db,
                                                         double threshold_db) {
  constexpr std::size_t kSide = 3;
  const std::size_t n = std::min(bands_hz.size(), level_db.size());
  // Height of each band over the median of its neighbours; 0 where it cannot be judged.
  std::vector<double> height(n, 0.0);
  for (std::size_t i = kSide; i + kSide < n; ++i) {
    std::vector<double> around;
    for (std::size_t k = i - kSide; k <= i + kSide; ++k) {
      if (k != i) around.push_back(level_db[k]);
    }
    if (!std::isfinite(level_db[i]) ||
        !std::all_of(around.begin(), around.end(), [](double v) { return std::isfinite(v); })) {
      continue;  // silence in the band or next to it: no shape to judge
    }
    std::sort(around.begin(), around.end());
    height[i] = level_db[i] - 0.5 * (around[kSide - 1] + around[kSide]);
  }
  // A narrow feature also moves its neighbours' medians, so their heights mirror it at a
  // smaller size: only the strongest band within two of each other counts.
  std::vector<std::pair<double, double>> out;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::abs(height[i]) < threshold_db) continue;
    bool strongest = true;
    for (std::size_t k = i >= 2 ? i - 2 : 0; k <= std::min(n - 1, i + 2); ++k) {
      if (k != i && std::abs(height[k]) > std::abs(height[i])) strongest = false;
    }
    if (strongest) out.emplace_back(bands_hz[i], height[i]);
  }
  return out;
}

nlohmann::json to_json(const Note& n) {
  nlohmann::json j{{"id", n.id},
                   {"session_id", n.session_id},
                   {"track_id", n.track_id ? nlohmann::json(*n.track_id) : nlohmann::json()},
                   {"time_s", n.time_s},
                   {"author", n.author},
                   {"text", n.text},
                   {"status", to_string(n.status)},
                   {"created_unix_ms", n.created_unix_ms},
                   {"resolved_by", n.resolved_by}};
  j["author_client_id"] =
      n.author_client_id ? nlohmann::json(*n.author_client_id) : nlohmann::json();
  j["resolved_unix_ms"] =
      n.resolved_unix_ms ? nlohmann::json(*n.resolved_unix_ms) : nlohmann::json();
  j["snapshot_id"] = n.snapshot_id ? nlohmann::json(*n.snapshot_id) : nlohmann::json();
  j["compare_state"] =
      n.compare_state ? nlohmann::json(to_string(*n.compare_state)) : nlohmann::json();
  j["reference_id"] = n.reference_id ? nlohmann::json(*n.reference_id) : nlohmann::json();
  return j;
}

nlohmann::json to_json(const FeedbackSummary& s) {
  nlohmann::json j;
  j["scope"] = {{"client", s.scope.client ? nlohmann::json(*s.scope.client) : nlohmann::json()},
                {"studio", s.scope.studio ? nlohmann::json(*s.scope.studio) : nlohmann::json()}};
  j["sessions"] = s.sessions;
  j["tracks"] = s.tracks;
  j["eq_bands"] = nlohmann::json::array();
  for (const auto& b : s.eq_bands) {
    j["eq_bands"].push_back(
        {{"band", b.band},
         {"tracks", b.tracks},
         {"mean_gain_db", b.mean_gain_db},
         {"stddev_gain_db", b.stddev_gain_db},
         {"min_gain_db", b.min_gain_db},
         {"max_gain_db", b.max_gain_db},
         {"mean_freq_hz", b.mean_freq_hz ? nlohmann::json(*b.mean_freq_hz) : nlohmann::json()}});
  }
  j["limiter"] = {{"renders", s.limiter.renders},
                  {"hard", s.limiter.hard},
                  {"mean_max_gain_reduction_db", s.limiter.mean_max_gain_reduction_db}};
  j["qc_events"] = nlohmann::json::array();
  for (const auto& e : s.qc_events) {
    j["qc_events"].push_back(
        {{"type", e.type}, {"events", e.events}, {"tracks", e.tracks}, {"sessions", e.sessions}});
  }
  j["spectral"] = nlohmann::json::array();
  for (const auto& f : s.spectral) {
    j["spectral"].push_back({{"freq_hz", f.freq_hz},
                             {"kind", f.peak ? "peak" : "dip"},
                             {"mean_db", f.mean_db},
                             {"tracks", f.tracks},
                             {"sessions", f.sessions},
                             {"sessions_analysed", f.sessions_analysed}});
  }
  j["mixes"] = {{"mixes", s.mixes.mixes},
                {"mean_integrated_lufs", s.mixes.mean_integrated_lufs},
                {"mean_true_peak_dbtp", s.mixes.mean_true_peak_dbtp},
                {"over_full_scale", s.mixes.over_full_scale}};
  const auto& d = s.delivered;
  j["delivered"] = {
      {"masters", d.masters},
      {"mean_integrated_lufs", d.mean_integrated_lufs},
      {"stddev_integrated_lufs", d.stddev_integrated_lufs},
      {"min_integrated_lufs", d.min_integrated_lufs},
      {"max_integrated_lufs", d.max_integrated_lufs},
      {"max_true_peak_dbtp",
       d.max_true_peak_dbtp ? nlohmann::json(*d.max_true_peak_dbtp) : nlohmann::json()}};
  j["open_notes"] = nlohmann::json::array();
  const auto open_note = [](const OpenNote& o) {
    auto n = to_json(o.note);
    n["session_title"] = o.session_title;
    n["track_title"] = o.track_title;
    return n;
  };
  for (const auto& o : s.open_notes) {
    auto n = open_note(o);
    n["repeats"] = nlohmann::json::array();
    for (const auto& r : o.repeats) n["repeats"].push_back(open_note(r));
    j["open_notes"].push_back(std::move(n));
  }
  return j;
}

}  // namespace lacquer::session
