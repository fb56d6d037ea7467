#pragma once
// Loudness and delivery targets: the streaming services' normalisation rules (used by the
// monitor path's platform preview and by analysis) and the render presets built on them.
//
// | name     | target      | ceiling  | turns quiet masters up                     |
// |----------|-------------|----------|--------------------------------------------|
// | spotify  | -14 LUFS    | -1 dBTP  | yes, only as far as the peak stays ≤ -1    |
// | apple    | -16 LUFS    | -1 dBTP  | yes (Sound Check), peak-limited the same   |
// | youtube  | -14 LUFS    | -1 dBTP  | no, turns loud masters down only           |
// | tidal    | -14 LUFS    | -1 dBTP  | no                                         |
// | deezer   | -15 LUFS    | -1 dBTP  | no                                         |
// | amazon   | -14 LUFS    | -2 dBTP  | no                                         |
// | ebu-r128 | -23 LUFS    | -1 dBTP  | broadcast delivery, not a playback service |
// | atsc-a85 | -24 LKFS    | -2 dBTP  | broadcast delivery                         |
// | cd       | (none)      | -0.3 dBTP| 44.1 kHz / 16 bit, dithered                |
// | vinyl    | (none)      | (none)   | premaster: no brick-wall limiting, mono low end, 24 bit |
//
// Sources of the services' rules (the one place `lacquer analyze` and the monitor's platform
// preview take them from):
// - spotify: Spotify for Artists, "Loudness normalization" (support.spotify.com/artists):
//   -14 LUFS (Normal), -11 (Loud, through a limiter at -1 dB), -19 (Quiet); quiet masters
//   are turned up only while 1 dB of true-peak headroom remains; an album played as an
//   album is normalised as a whole.
// - apple: Apple, "Mastered for iTunes / Apple Digital Masters": Sound Check at -16 LUFS.
// - youtube: -14 LUFS, loud uploads turned down, quiet ones left (measured by the industry,
//   e.g. loudnesspenalty.com; YouTube publishes no figure).
// - tidal: Tidal support, "Loudness normalization": -14 LUFS, album normalisation by default.
// - amazon: Amazon Music, -14 LUFS (measured, as YouTube).
// - deezer: Deezer, -15 LUFS.
// - ebu-r128: EBU R 128 (2023); atsc-a85: ATSC A/85:2013; cd: IEC 60908 (Red Book).

#include <array>
#include <cmath>
#include <string_view>

namespace lacquer::dsp {

/// One destination: how loud it plays (or must be delivered) and what it needs.
struct LoudnessTarget {
  std::string_view name;
  std::string_view label;
  double target_lufs;   ///< integrated loudness; NaN when the destination sets none
  double ceiling_dbtp;  ///< highest true peak; NaN when no limiter is wanted
  bool streaming;       ///< a playback service that normalises (previewable)
  bool turns_up;        ///< raises quiet masters (peak-limited to the ceiling)
  double sample_rate_hz = 0.0;  ///< deliverable rate; 0 keeps the source rate
  int bits = 0;                 ///< deliverable word length; 0 keeps the render default
  double mono_below_hz = 0.0;   ///< sum the low end to mono below this; 0 leaves it
};

inline constexpr double kNoTarget = NAN;

/// Every known destination; the monitor preview choices name the streaming ones.
inline constexpr std::array<LoudnessTarget, 10> kTargets = {{
    {"spotify", "Spotify", -14.0, -1.0, true, true},
    {"apple", "Apple Music", -16.0, -1.0, true, true},
    {"youtube", "YouTube", -14.0, -1.0, true, false},
    {"tidal", "Tidal", -14.0, -1.0, true, false},
    {"deezer", "Deezer", -15.0, -1.0, true, false},
    {"amazon", "Amazon Music", -14.0, -2.0, true, false},
    {"ebu-r128", "EBU R128 broadcast", -23.0, -1.0, false, false},
    {"atsc-a85", "ATSC A/85 broadcast", -24.0, -2.0, false, false},
    {"cd", "CD (Red Book)", kNoTarget, -0.3, false, false, 44100.0, 16},
    {"vinyl", "Vinyl premaster", kNoTarget, kNoTarget, false, false, 0.0, 24, 150.0},
}};

/// A listener's setting of a service other than its default (the kTargets row `service`).
struct PlaybackMode {
  std::string_view service;
  std::string_view name;
  std::string_view label;
  double target_lufs;
  bool limiter;  ///< turns quiet masters up fully, through its own limiter at the ceiling
};

inline constexpr std::array<PlaybackMode, 2> kPlaybackModes = {{
    {"spotify", "spotify-loud", "Spotify (Loud)", -11.0, true},
    {"spotify", "spotify-quiet", "Spotify (Quiet)", -19.0, false},
}};

/// Services that normalise an album as a whole when it is played as one.
inline constexpr std::array<std::string_view, 2> kAlbumNormalising = {"spotify", "tidal"};

/// The destination called `name`, or nullptr.
constexpr const LoudnessTarget* find_target(std::string_view name) noexcept {
  for (const auto& t : kTargets) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

/// The gain a streaming service applies to a master measured at `integrated_lufs` with
/// `true_peak_dbtp`: loud masters are turned down to the target; quiet ones are turned up
/// only by services that do, and only until the true peak reaches the service's ceiling
/// (never turned down for that). Silence (-inf LUFS) gets 0 dB.
inline double playback_gain_db(const LoudnessTarget& t, double integrated_lufs,
                                  double true_peak_dbtp) noexcept {
  if (!std::isfinite(integrated_lufs) || std::isnan(t.target_lufs)) return 0.0;
  const double gain = t.target_lufs - integrated_lufs;
  if (gain <= 0.0) return gain;
  if (!t.turns_up) return 0.0;
  const double headroom = t.ceiling_dbtp - true_peak_dbtp;
  return headroom <= 0.0 ? 0.0 : (gain < headroom ? gain : headroom);
}

}  // namespace lacquer::dsp
