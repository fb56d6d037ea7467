#pragma once
// The compliance report of a delivered format: each output file re-analysed
// (lacquer::analysis, as `lacquer analyze`) and checked against the format's rules, one
// pass/fail line per rule and file, as JSON and as the analysis' HTML page with the rules
// on top.

#include <array>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/analysis/report.hpp"
#include "lacquer/analysis/text.hpp"

namespace lacquer::daemon::deliver {

/// Every rule a delivery checks; `--override NAME` accepts a failure of one of them.
inline constexpr std::array<std::string_view, 9> kRules = {
    "loudness", "true_peak",      "sample_rate", "word_length", "wav_format",
    "isrc",     "clipping",       "codec_headroom", "side_length"};

/// What one delivered file must be.
struct FileSpec {
  std::filesystem::path path;
  std::string name;  ///< as the report shows it: "streaming/01 Intro.flac"
  int rate = 0;
  int bits = 0;
  bool plain_wav = false;               ///< a WAV that must be WAVE_FORMAT_PCM (CD tools)
  double target_lufs = NAN;             ///< per-file loudness target; NaN: no such rule
  double ceiling_dbtp = NAN;            ///< highest true peak; NaN: no such rule
  std::optional<std::string> isrc;      ///< the ISRC its metadata carries; none: no such rule
  bool codec = false;                   ///< check the codec headroom (Opus round trip)
};

struct RuleResult {
  std::string file, rule;
  bool pass = false;
  bool overridden = false;  ///< failed, and accepted by --override
  std::string detail;
  bool warning = false;  ///< passed, with something the engineer should look at
};

using analysis::printed;  // the reports' lines

/// Loudness within this of its target passes (the contract's 0.5 LU).
inline constexpr double kLoudnessToleranceLu = 0.5;

/// The rules of one file against its analysis.
std::vector<RuleResult> check_file(const FileSpec& spec, const analysis::TrackReport& report);

/// The album's loudness rule (album mode: one gain for the whole album).
RuleResult check_album_loudness(const analysis::AlbumReport& album, double target_lufs);

/// {"format", "passed", "rules": [{"file", "rule", "pass", "overridden", "warning", "detail"}...], "analysis": {"tracks": [...], "album": {...}}}.
nlohmann::json compliance_json(const std::string& format, const std::vector<RuleResult>& rules,
                               const std::vector<analysis::TrackReport>& reports,
                               const analysis::AlbumReport* album);

/// The analysis' HTML page with the table of rules on top.
std::string compliance_html(const nlohmann::json& compliance);

}  // namespace lacquer::daemon::deliver
