#pragma once
// What `lacquer analyze` measures in one file, and across an album. The JSON form
// (report_json.hpp) is documented in docs/DESIGN.md ("Offline subcommands").

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lacquer::analysis {

/// BS.1770-4 / EBU R128 loudness of the whole file. Levels of silence are -inf.
struct Loudness {
  double integrated_lufs = -INFINITY;
  double lra_lu = 0.0;                    ///< EBU Tech 3342
  double momentary_max_lufs = -INFINITY;  ///< evaluated every 10 ms
  double short_term_max_lufs = -INFINITY; ///< evaluated every 10 ms
  double true_peak_dbtp = -INFINITY;
  double sample_peak_dbfs = -INFINITY;
  double plr_db = -INFINITY;              ///< true peak - integrated; -inf for silence
};

/// Loudness over time, one value per hop: momentary and short-term at the end of each hop,
/// and the largest true peak within it.
struct LoudnessCurve {
  double hop_s = 0.1;
  std::vector<double> momentary, short_term, true_peak;
};

/// Mono-summed (mean of the channels) minimum and maximum per hop, linear.
struct Waveform {
  double hop_s = 0.05;
  std::vector<float> min, max;
};

struct ChannelStats {
  int channel = 0;
  double dc_offset = 0.0;  ///< mean, linear
  double rms_dbfs = -INFINITY;
  double crest_db = 0.0;   ///< sample peak - RMS; 0 for silence
  double sample_peak_dbfs = -INFINITY;
  double true_peak_dbtp = -INFINITY;
};

/// Stereo files only.
struct Correlation {
  double mean = 0.0;           ///< over the whole file
  double min = 0.0;            ///< lowest of 400 ms windows that carry signal
  double low_band_mean = 0.0;  ///< below 150 Hz
};

/// Long-term third-octave spectrum of the mono sum, dB relative to a full-scale sine (a
/// sine of amplitude A reads 20 log10(A) in its band).
struct Spectrum {
  std::vector<double> bands_hz;  ///< nominal centres, 25 Hz .. 20 kHz (centres below Nyquist)
  std::vector<double> level_db;
};

/// Per-band difference against a reference played at the file's loudness.
struct ReferenceDiff {
  std::string file;
  double gain_db = 0.0;                ///< applied to the reference to match loudness
  std::vector<double> band_diff_db;    ///< file minus matched reference, per band
};

enum class Severity { info, warning, error };

struct Event {
  std::string type;  ///< clip, inter_sample_peak, click, dropout, dc_offset, phase, abrupt_start, abrupt_end
  double time_s = 0.0;
  double duration_s = 0.0;
  int channel = -1;  ///< -1: every channel, or not about one channel
  Severity severity = Severity::warning;
  std::string detail;
};

/// The gain a streaming service would apply, and the true peak that results.
struct PlatformGain {
  std::string name, label;
  double target_lufs = 0.0;
  double gain_db = 0.0;
  double true_peak_after_dbtp = -INFINITY;
  std::optional<double> album_gain_db;  ///< services that normalise albums as a whole
  std::string note;
};

/// A lossy round trip: the decoded signal's true peak and its values over full scale.
struct CodecResult {
  std::string codec;
  int bitrate_kbps = 0;
  double true_peak_dbtp = -INFINITY;
  std::uint64_t overs_on_sample = 0;
  std::uint64_t overs_inter_sample = 0;
  bool warning = false;  ///< decoded true peak above -0.5 dBTP
};

struct Warning {
  std::string format;  ///< general, vinyl, cd, streaming
  std::string rule;
  std::string message;
};

struct TrackReport {
  std::string file;
  int sample_rate = 0;
  int channels = 0;
  double duration_s = 0.0;
  std::uint64_t frames = 0;
  std::optional<std::string> error;  ///< a failed file carries nothing else

  Loudness loudness;
  LoudnessCurve loudness_curve;
  Waveform waveform;
  double head_silence_s = 0.0;
  double tail_silence_s = 0.0;
  std::vector<ChannelStats> channel_stats;
  std::optional<Correlation> correlation;
  std::optional<double> stereo_width;  ///< side energy / (mid + side energy), 0..1
  Spectrum spectrum;
  std::optional<ReferenceDiff> reference;
  std::vector<Event> events;
  std::vector<PlatformGain> platforms;
  std::vector<CodecResult> codec;
  std::vector<Warning> warnings;

  /// Mean-square energies of the gating blocks (400 ms, every 100 ms) for album loudness;
  /// not part of the JSON.
  std::vector<double> gating_blocks;
};

struct AlbumTrack {
  std::string file;
  double integrated_lufs = -INFINITY;
};

struct AlbumWarning {
  std::string rule, message;
};

struct AlbumPlatform {
  std::string name, label;
  double album_gain_db = 0.0;
};

/// Two or more analysed files taken as one release.
struct AlbumReport {
  double integrated_lufs = -INFINITY;  ///< gated over every track's blocks together
  double loudness_spread_lu = 0.0;     ///< loudest minus quietest track
  double true_peak_dbtp = -INFINITY;
  AlbumTrack loudest, quietest;
  std::vector<AlbumWarning> warnings;
  std::vector<AlbumPlatform> platforms;
};

}  // namespace lacquer::analysis
