#include "lacquer/analysis/report_json.hpp"

#include <cmath>

namespace lacquer::analysis {

using nlohmann::json;

namespace {

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

template <class T>
json numbers(const std::vector<T>& v) {
  json a = json::array();
  for (const T x : v) a.push_back(number(static_cast<double>(x)));
  return a;
}

}  // namespace

const char* severity_name(Severity s) noexcept {
  switch (s) {
    case Severity::info: return "info";
    case Severity::warning: return "warning";
    case Severity::error: return "error";
  }
  return "warning";
}

json to_json(const TrackReport& t) {
  json j = {{"file", t.file}};
  if (t.error) {
    j["error"] = *t.error;
    return j;
  }
  j["sample_rate"] = t.sample_rate;
  j["channels"] = t.channels;
  j["duration_s"] = t.duration_s;
  j["frames"] = t.frames;
  const Loudness& l = t.loudness;
  j["loudness"] = {{"integrated_lufs", number(l.integrated_lufs)},
                   {"lra_lu", number(l.lra_lu)},
                   {"momentary_max_lufs", number(l.momentary_max_lufs)},
                   {"short_term_max_lufs", number(l.short_term_max_lufs)},
                   {"true_peak_dbtp", number(l.true_peak_dbtp)},
                   {"sample_peak_dbfs", number(l.sample_peak_dbfs)},
                   {"plr_db", number(l.plr_db)}};
  j["loudness_curve"] = {{"hop_s", t.loudness_curve.hop_s},
                         {"momentary", numbers(t.loudness_curve.momentary)},
                         {"short_term", numbers(t.loudness_curve.short_term)},
                         {"true_peak", numbers(t.loudness_curve.true_peak)}};
  j["waveform"] = {{"hop_s", t.waveform.hop_s},
                   {"min", numbers(t.waveform.min)},
                   {"max", numbers(t.waveform.max)}};
  j["silence"] = {{"head_s", t.head_silence_s}, {"tail_s", t.tail_silence_s}};
  j["channel_stats"] = json::array();
  for (const auto& c : t.channel_stats) {
    j["channel_stats"].push_back({{"channel", c.channel},
                                  {"dc_offset", c.dc_offset},
                                  {"rms_dbfs", number(c.rms_dbfs)},
                                  {"crest_db", number(c.crest_db)},
                                  {"sample_peak_dbfs", number(c.sample_peak_dbfs)},
                                  {"true_peak_dbtp", number(c.true_peak_dbtp)}});
  }
  j["correlation"] = t.correlation ? json{{"mean", t.correlation->mean},
                                          {"min", t.correlation->min},
                                          {"low_band_mean", t.correlation->low_band_mean}}
                                   : json(nullptr);
  j["stereo_width"] = t.stereo_width ? json(*t.stereo_width) : json(nullptr);
  j["spectrum"] = {{"bands_hz", t.spectrum.bands_hz}, {"level_db", numbers(t.spectrum.level_db)}};
  if (t.reference) {
    j["reference"] = {{"file", t.reference->file},
                      {"gain_db", t.reference->gain_db},
                      {"band_diff_db", numbers(t.reference->band_diff_db)}};
  }
  j["events"] = json::array();
  for (const auto& e : t.events) {
    j["events"].push_back({{"type", e.type},
                           {"time_s", e.time_s},
                           {"duration_s", e.duration_s},
                           {"channel", e.channel < 0 ? json(nullptr) : json(e.channel)},
                           {"severity", severity_name(e.severity)},
                           {"detail", e.detail}});
  }
  j["platforms"] = json::array();
  for (const auto& p : t.platforms) {
    json o = {{"name", p.name},
              {"label", p.label},
              {"target_lufs", p.target_lufs},
              {"gain_db", p.gain_db},
              {"true_peak_after_dbtp", number(p.true_peak_after_dbtp)}};
    if (p.album_gain_db) o["album_gain_db"] = *p.album_gain_db;
    if (!p.note.empty()) o["note"] = p.note;
    j["platforms"].push_back(std::move(o));
  }
  j["codec"] = json::array();
  for (const auto& c : t.codec) {
    j["codec"].push_back({{"codec", c.codec},
                          {"bitrate_kbps", c.bitrate_kbps},
                          {"true_peak_dbtp", number(c.true_peak_dbtp)},
                          {"overs_on_sample", c.overs_on_sample},
                          {"overs_inter_sample", c.overs_inter_sample},
                          {"warning", c.warning}});
  }
  j["warnings"] = json::array();
  for (const auto& w : t.warnings) {
    j["warnings"].push_back({{"format", w.format}, {"rule", w.rule}, {"message", w.message}});
  }
  return j;
}

json to_json(const AlbumReport& a) {
  json j = {{"integrated_lufs", number(a.integrated_lufs)},
            {"loudness_spread_lu", a.loudness_spread_lu},
            {"true_peak_dbtp", number(a.true_peak_dbtp)},
            {"loudest", {{"file", a.loudest.file}, {"integrated_lufs", number(a.loudest.integrated_lufs)}}},
            {"quietest",
             {{"file", a.quietest.file}, {"integrated_lufs", number(a.quietest.integrated_lufs)}}}};
  j["warnings"] = json::array();
  for (const auto& w : a.warnings) j["warnings"].push_back({{"rule", w.rule}, {"message", w.message}});
  j["platforms"] = json::array();
  for (const auto& p : a.platforms) {
    j["platforms"].push_back({{"name", p.name}, {"label", p.label}, {"album_gain_db", p.album_gain_db}});
  }
  return j;
}

json to_json(const std::vector<TrackReport>& tracks, const AlbumReport* album) {
  json j = {{"tracks", json::array()}};
  for (const auto& t : tracks) j["tracks"].push_back(to_json(t));
  if (album != nullptr) j["album"] = to_json(*album);
  return j;
}

}  // namespace lacquer::analysis
