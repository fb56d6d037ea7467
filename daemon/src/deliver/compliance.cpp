#include "compliance.hpp"

#include <sndfile.h>

#include <cstdio>
#include <regex>

#include "lacquer/analysis/html_report.hpp"
#include "lacquer/analysis/report_json.hpp"
#include "sound_io.hpp"

namespace lacquer::daemon::deliver {

namespace {

std::string escape_html(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::vector<RuleResult> check_file(const FileSpec& spec, const analysis::TrackReport& report) {
  std::vector<RuleResult> out;
  const auto add = [&](const char* rule, bool pass, std::string detail) {
    out.push_back({spec.name, rule, pass, false, std::move(detail)});
  };
  if (report.error) {
    add("word_length", false, "cannot be analysed: " + *report.error);
    return out;
  }
  SF_INFO info{};
  if (SNDFILE* f = sf_open(spec.path.c_str(), SFM_READ, &info)) sf_close(f);
  const int bits = word_length(info);
  add("word_length", bits == spec.bits,
      std::to_string(bits) + "-bit, " + std::to_string(spec.bits) + "-bit required");
  add("sample_rate", report.sample_rate == spec.rate,
      std::to_string(report.sample_rate) + " Hz, " + std::to_string(spec.rate) + " Hz required");
  if (spec.plain_wav) {
    const int tag = wav_format_tag(spec.path);
    add("wav_format", tag == 1,
        tag == 1 ? "WAVE_FORMAT_PCM" : "format tag " + std::to_string(tag) + ", WAVE_FORMAT_PCM (1) required");
  }
  const double lufs = report.loudness.integrated_lufs;
  if (!std::isnan(spec.target_lufs)) {
    add("loudness", std::isfinite(lufs) && std::abs(lufs - spec.target_lufs) <= kLoudnessToleranceLu,
        printed("%.2f LUFS integrated, target %.1f LUFS", lufs, spec.target_lufs) + printed(" ± %.1f LU", kLoudnessToleranceLu));
  }
  const double tp = report.loudness.true_peak_dbtp;
  if (!std::isnan(spec.ceiling_dbtp)) {
    add("true_peak", !(tp > spec.ceiling_dbtp), printed("%.2f dBTP, ceiling %.1f dBTP", tp, spec.ceiling_dbtp));
  }
  if (spec.isrc) {
    static const std::regex form("^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$");
    add("isrc", std::regex_match(*spec.isrc, form),
        spec.isrc->empty() ? "no ISRC" : "ISRC " + *spec.isrc);
  }
  // Runs at full scale fail; a flat top below it (the analysis' warning) is told, not failed:
  // a dense 16-bit master repeats a value now and then without being clipped.
  std::size_t clips = 0, flat = 0;
  for (const auto& e : report.events) {
    if (e.type != "clip") continue;
    ++(e.severity == analysis::Severity::error ? clips : flat);
  }
  add("clipping", clips == 0,
      std::to_string(clips) + " runs at full scale" +
          (flat > 0 ? ", " + std::to_string(flat) + " flat-topped runs below it (warnings)" : ""));
  if (spec.codec) {
    if (report.codec.empty()) {
      add("codec_headroom", false, "no codec round trip");
    } else {
      const auto& c = report.codec.front();
      add("codec_headroom", !c.warning,
          printed("%.2f dBTP after ", c.true_peak_dbtp) + c.codec + " " + std::to_string(c.bitrate_kbps) +
              " kb/s, at most -0.5 dBTP (AES TD1008)");
    }
  }
  return out;
}

RuleResult check_album_loudness(const analysis::AlbumReport& album, double target_lufs) {
  const double l = album.integrated_lufs;
  return {"album", "loudness", std::isfinite(l) && std::abs(l - target_lufs) <= kLoudnessToleranceLu, false,
          printed("album %.2f LUFS integrated, target %.1f LUFS", l, target_lufs) +
              printed(" ± %.1f LU (spread %.1f LU kept)", kLoudnessToleranceLu, album.loudness_spread_lu)};
}

nlohmann::json compliance_json(const std::string& format_name, const std::vector<RuleResult>& rules,
                               const std::vector<analysis::TrackReport>& reports,
                               const analysis::AlbumReport* album) {
  nlohmann::json lines = nlohmann::json::array();
  bool passed = true;
  for (const auto& r : rules) {
    lines.push_back({{"file", r.file}, {"rule", r.rule}, {"pass", r.pass}, {"overridden", r.overridden},
                     {"warning", r.warning}, {"detail", r.detail}});
    passed = passed && (r.pass || r.overridden);
  }
  return {{"format", format_name}, {"passed", passed}, {"rules", lines},
          {"analysis", analysis::to_json(reports, album)}};
}

std::string compliance_html(const nlohmann::json& c) {
  std::string page = analysis::render_html_report(c["analysis"]);
  std::string table = "<section style=\"margin:1em 0\"><h2>Compliance: " +
                      escape_html(c["format"].get<std::string>()) + " — " +
                      (c["passed"].get<bool>() ? "passed" : "FAILED") +
                      "</h2><table style=\"border-collapse:collapse\"><tr><th align=left>file</th>"
                      "<th align=left>rule</th><th align=left>result</th><th align=left>measured</th></tr>";
  for (const auto& r : c["rules"]) {
    const bool pass = r["pass"].get<bool>();
    const bool over = r["overridden"].get<bool>();
    const bool warn = r.value("warning", false);
    const char* verdict = pass ? (warn ? "warning" : "pass") : over ? "overridden" : "FAIL";
    const char* colour = pass ? (warn ? "#b26a00" : "#2e7d32") : over ? "#b26a00" : "#c62828";
    table += "<tr><td>" + escape_html(r["file"].get<std::string>()) + "</td><td>" +
             escape_html(r["rule"].get<std::string>()) + "</td><td style=\"color:" + colour +
             ";font-weight:bold\">" + verdict + "</td><td>" + escape_html(r["detail"].get<std::string>()) +
             "</td></tr>";
  }
  table += "</table></section>";
  const std::string anchor = "<main class=\"page\">";
  const auto at = page.find(anchor);
  page.insert(at == std::string::npos ? 0 : at + anchor.size(), table);
  return page;
}

}  // namespace lacquer::daemon::deliver
