#pragma once
// Quality control and loudness of a file or of audio in memory: `lacquer analyze`, and the
// daemon's QC of a session's tracks on a worker thread. Each call is independent and
// allocates what it needs; call from any thread, several at once.

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <vector>

#include "lacquer/analysis/report.hpp"

namespace lacquer::analysis {

/// A file or signal that cannot be analysed; the message is one line for the user.
class AnalysisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown when the cancel flag was raised during an analysis.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("analysis cancelled") {}
};

struct Options {
  int clip_run = 3;            ///< consecutive full-scale or flat-topped samples that make a clip
  bool codec = true;           ///< Opus round trip (the slowest part)
  int opus_bitrate_kbps = 128;
  /// Run the codec round trip on a thread of its own beside the rest.
  bool parallel_codec = true;
};

/// Called with the fraction done (0..1), from the analysing threads.
using ProgressFn = std::function<void(double fraction)>;

/// Analyses `frames` interleaved frames of `channels` channels (1..8) at `sample_rate`.
/// Throws AnalysisError (bad signal) or Cancelled (when *cancel became true).
TrackReport analyse(const float* interleaved, std::size_t frames, int channels, double sample_rate,
                    const Options& options = {}, const ProgressFn& progress = {},
                    const std::atomic<bool>* cancel = nullptr);

/// Reads a sound file (libsndfile) and analyses it; report.file is `path` as given.
/// Throws AnalysisError for a file that cannot be read, Cancelled as analyse().
TrackReport analyse_file(const std::filesystem::path& path, const Options& options = {},
                         const ProgressFn& progress = {}, const std::atomic<bool>* cancel = nullptr);

/// Fills track.reference: `reference`'s spectrum matched to the track's loudness, and the
/// per-band difference.
void compare_with_reference(TrackReport& track, const TrackReport& reference);

/// The album view of two or more analysed tracks (failed ones are skipped); also sets each
/// track's album_gain_db for the services that normalise albums.
AlbumReport analyse_album(std::vector<TrackReport>& tracks);

}  // namespace lacquer::analysis
