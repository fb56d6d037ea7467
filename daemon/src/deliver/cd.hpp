#pragma once
// The CD master: tracks placed on one 44.1 kHz timeline (pregaps of silence, or of the
// previous track's tail where a crossfade spans the boundary), every INDEX on a CD frame
// (588 samples, 75 frames a second), the Red Book limits, the CUE sheet, and the image
// written once, dithered to 16 bits, with the per-track files cut from the same samples.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lacquer/dsp/dither.hpp"
#include "release.hpp"

namespace lacquer::daemon::deliver {

inline constexpr int kCdRate = 44100;
inline constexpr std::int64_t kCdFrameSamples = 588;  ///< one CD frame (sector), 1/75 s
inline constexpr int kCdMaxTracks = 99;
inline constexpr double kCdMinTrackS = 4.0;
inline constexpr double kCdMaxTotalS = 79 * 60 + 57;  ///< 79:57, an 80-minute disc

/// One track's place on the image, in samples from its start.
struct CdPlace {
  std::int64_t audio_start = 0, audio_end = 0;  ///< where the track's own audio plays
  std::int64_t index00 = -1;                    ///< start of the pregap; -1 without one
  std::int64_t index01 = 0;                     ///< start of the track
  std::int64_t fade_in = 0, fade_out = 0;       ///< crossfade lengths at each end
  std::int64_t file_start = 0, file_end = 0;    ///< the per-track file (INDEX 01 to the next)
};

struct CdLayout {
  std::vector<CdPlace> tracks;
  std::int64_t total = 0;  ///< image length, whole CD frames
};

/// Places tracks of `frames` samples each (at 44.1 kHz). Throws DeliverError naming the
/// track and the rule when the Red Book limits or the crossfades cannot be met.
CdLayout lay_out_cd(const Release& release, const std::vector<std::int64_t>& frames);

/// "mm:ss:ff" of a position on a CD frame boundary.
std::string cue_time(std::int64_t samples);

/// The CUE sheet of the image file `image_name`.
std::string cue_sheet(const Release& release, const CdLayout& layout, const std::string& image_name);

/// Each track's ISRC as a CUE sheet file gives it ("" for a track without one).
std::vector<std::string> read_cue_isrcs(const std::filesystem::path& cue);

/// Mixes the tracks' 44.1 kHz float renders onto the timeline (TimelineMixer: crossfades sin² / cos²,
/// which sum to one, so the fade never lifts a peak), dithers the whole once to 16 bits
/// and writes the image and each track's file (plain PCM WAV) from the same samples.
void write_cd_audio(const std::vector<std::filesystem::path>& renders, const CdLayout& layout,
                    dsp::DitherType dither, const std::filesystem::path& image,
                    const std::vector<std::filesystem::path>& track_files);

}  // namespace lacquer::daemon::deliver
