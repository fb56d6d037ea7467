#pragma once
// `lacquer deliver`: every deliverable of a release, each format a folder of the output:
//   cd/         album.wav (44.1 kHz / 16-bit image, plain PCM) + album.cue, and the tracks
//               cut from the image at each INDEX 01 ("01 Title.wav")
//   streaming/  per track, 24-bit FLAC with Vorbis comments and WAV with a bext chunk, at the
//               source rate (or --rate), to a service's loudness (per track or one gain for the
//               album) and true-peak ceiling
//   hires/      per track, 24-bit FLAC at the source rate, the chain as mastered
//   vinyl/      per side, one 24-bit WAV at the source rate with its gaps, unlimited and
//               high-passed at 20 Hz, and timing.txt (vinyl.hpp)
// each with compliance.json / compliance.html, and SHA256SUMS over every file. The work is
// done in a folder beside the output, renamed to it at the end: a failed delivery leaves
// nothing behind.

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "compliance.hpp"
#include "lacquer/dsp/dither.hpp"
#include "release.hpp"

namespace lacquer::daemon::deliver {

enum class Format { cd, streaming, hires, vinyl };

/// "cd", "streaming", "hires", "vinyl".
const char* format_name(Format f);

/// The format called `name`, or nothing.
std::optional<Format> parse_format(std::string_view name);

/// How far one format has come: `fraction` of its work (renders and checks, weighted by
/// audio length), `what` the render or check just finished ("cd 02 Slow").
struct ProgressEvent {
  Format format;
  double fraction = 0.0;
  std::string what;
};

struct DeliverOptions {
  std::filesystem::path out;
  std::vector<Format> formats{Format::cd, Format::streaming, Format::hires};
  bool album_loudness = false;    ///< streaming: one gain for the whole album
  std::string target = "spotify"; ///< streaming: the service whose loudness and ceiling apply
  std::optional<double> rate_hz;  ///< streaming: 44100 or 48000 instead of the source rate
  unsigned jobs = 2;              ///< tracks rendered at once
  std::set<std::string> overrides;  ///< failed rules accepted (kRules)
  std::optional<dsp::DitherType> dither;  ///< CD; default: the first track's chain setting
  /// vinyl: sum the low end to mono below this (0: off); none: each chain's own setting.
  std::optional<double> vinyl_mono_below_hz;
  bool progress = false;          ///< a bar on stderr
  /// Called as renders and checks finish, from the delivery's worker threads (one at a time).
  std::function<void(const ProgressEvent&)> on_progress;
  /// When set, the delivery stops at its next render or check (DeliverError "cancelled").
  const std::atomic<bool>* cancel = nullptr;
};

/// A delivery that rendered but broke rules nobody overrode; what() is a summary line.
class ComplianceFailure : public DeliverError {
 public:
  ComplianceFailure(const std::string& what, std::vector<RuleResult> failed)
      : DeliverError(what), failed_(std::move(failed)) {}
  const std::vector<RuleResult>& failed() const { return failed_; }

 private:
  std::vector<RuleResult> failed_;
};

struct DeliverResult {
  std::vector<RuleResult> rules;            ///< every rule of every format
  std::vector<std::string> files;           ///< relative to the output folder, as in SHA256SUMS
  double audio_s = 0.0;                     ///< the album's source audio
};

/// Runs the delivery; throws DeliverError (bad input, a track that cannot be rendered, a
/// full disk) or ComplianceFailure.
DeliverResult deliver(const Release& release, const DeliverOptions& options);

}  // namespace lacquer::daemon::deliver
