#pragma once
// The monitor path: what the room hears, never printed. It takes the chain's print output,
// the chain's input delayed by the chain latency (the bypass signal), while snapshots are
// compared the print outputs of the chains of snapshots A and B, and while a reference track
// is loaded that track (never processed), and applies in order:
//
//   compare  chain, bypass, A, B or reference, crossfaded; loudness-matched on request so
//            louder never wins
//   (listen) the feed remote listeners hear leaves here: the compared source as matched,
//            before everything that belongs to the room
//   preview  the gain a streaming service would apply (targets.hpp), or a translation curve
//   matrix   mono, side solo, left/right solo (smoothed 2x2 matrix)
//   noise    the SPL reference: pink noise on one speaker in place of the program (the other
//            silent), crossfaded, at a set RMS; it then takes the speaker's way to the room
//   gain     level + dim + mute + the speaker set's calibration + per-speaker trim
//   speaker  per-speaker correction EQ (four bells) and delay (time alignment)
//
// Translation curves (representative responses of each kind of playback, not measurements of
// one device; each is a cascade of RBJ sections plus an optional mono sum):
//
// | curve   | mono | sections                                                            |
// |---------|------|---------------------------------------------------------------------|
// | phone   | yes  | HP 4th-order Butterworth 600 Hz; bell +5 dB 2.5 kHz Q 1.4;          |
// |         |      | LP 2nd-order 8 kHz (Q 0.707): one small speaker, no bass, honky mids |
// | earbuds | no   | HP 2nd-order 35 Hz; low shelf +4 dB 120 Hz; bell +3 dB 3 kHz Q 1.2; |
// |         |      | bell -4 dB 8 kHz Q 2; LP 2nd-order 16 kHz: sealed-fit bass, ear-canal |
// |         |      | resonance, a dip above it                                          |
// | laptop  | no   | HP 4th-order Butterworth 250 Hz; bell -3 dB 500 Hz Q 1; bell +4 dB  |
// |         |      | 4 kHz Q 1; LP 2nd-order 12 kHz: small drivers, boxy low mids, bright |
// | car     | no   | HP 2nd-order 35 Hz; low shelf +6 dB 80 Hz (cabin gain); bell -3 dB   |
// |         |      | 300 Hz Q 1; high shelf -5 dB 6 kHz (absorbent cabin, road noise)    |
//
// Compare: the platform gain of each source is computed from that source's own loudness and
// true peak (chain: the output meter, bypass: the input meter, A and B: their chains' output
// meters, reference: the track's own measurement). With `match` on, the source heard is
// further turned down to the quieter of the compared pair (after platform gains), so both play
// at the same loudness (integrated or short-term) and nothing is ever raised by matching. The
// pairs are A with B, and the chain with its partner: the bypass or the reference, whichever
// was compared with it last, so the chain keeps one level while the engineer flips between it
// and the reference.

#include <array>
#include <cstdint>
#include <vector>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/smoother.hpp"

namespace lacquer::dsp {

/// Pink noise (-3 dB per octave) for setting a room's reference level: white noise (xorshift32,
/// uniform) through Paul Kellet's refined pink filter (within 0.05 dB of the slope above 9.2 Hz
/// at 44.1 kHz; its corners scale with the rate), full band or band-limited to 500 Hz-2 kHz by
/// 4th-order Butterworth high- and low-passes. Each band is scaled by its filters' measured
/// power gain so its RMS is the level asked for (dBFS RMS: 20·log10 of the RMS, full-scale
/// square wave = 0).
class PinkNoise {
 public:
  enum class Band { full, mid };  ///< mid: 500 Hz-2 kHz
  static constexpr double kMidLowHz = 500.0;
  static constexpr double kMidHighHz = 2000.0;

  /// Designs the band filters and measures both bands' power gains; not real-time.
  void prepare(double sample_rate);
  void reset() noexcept;
  /// Audio thread: the next sample of `band` at RMS `rms` (linear).
  double next(Band band, double rms) noexcept;

 private:
  double white() noexcept;
  double pink(double w) noexcept;
  double mid(double x) noexcept;

  std::uint32_t seed_ = 0x9e3779b9u;
  std::array<double, 7> k_{};  // Kellet's filter state: six one-pole sections, one delay
  std::array<BiquadCoeffs, 4> band_{};  // high-pass, high-pass, low-pass, low-pass
  std::array<BiquadState, 4> band_state_{};
  std::array<double, 2> unit_{1.0, 1.0};  // scale to RMS 1, per Band
};

class MonitorPath {
 public:
  static constexpr int kSpeakerSets = 3;   ///< main, alt, mini
  static constexpr int kCorrectionBands = 4;
  static constexpr double kMaxDelayMs = 20.0;
  /// Crossfade for source, preview and delay switches.
  static constexpr double kFadeMs = 10.0;
  /// Glide of each speaker's gain: level, dim, mute, calibration and trim.
  static constexpr double kGainGlideMs = 20.0;
  /// Glide of the room-correction bands' frequency, gain and Q.
  static constexpr double kCorrectionGlideMs = 30.0;
  /// Glide of the preview and match gains (they follow a moving loudness estimate).
  static constexpr double kLoudnessGainMs = 200.0;

  enum class Solo { off, left, right };
  /// Order of /monitor/preview's choices.
  enum class Preview { flat, phone, earbuds, laptop, car, spotify, apple, youtube, tidal, deezer,
                       amazon };
  static constexpr int kCurves = 5;  ///< flat and the four translation curves
  /// Order of /monitor/compare's choices.
  enum class Compare { chain, bypass, a, b, reference };
  enum class MatchOn { integrated, short_term };
  /// Order of /monitor/noise's choices.
  enum class Noise { off, mid, full };

  struct Band {
    double freq_hz = 1000.0;
    double gain_db = 0.0;
    double q = 1.0;
  };
  struct Speaker {
    double trim_db = 0.0;
    double delay_ms = 0.0;
    std::array<Band, kCorrectionBands> eq{};
  };
  struct SpeakerSet {
    double calibration_db = 0.0;
    /// dB SPL the reference noise (-20 dBFS RMS) reads in the room at monitor level 0 dB,
    /// undimmed (0: not entered). Not processed here: consoles show the monitor level in
    /// dB SPL by it, a -20 dBFS RMS signal playing at reference_spl_db + level.
    double reference_spl_db = 0.0;
    std::array<Speaker, 2> speakers{};  // left, right
  };

  struct Params {
    double level_db = 0.0;
    bool dim = false;
    double dim_db = -20.0;
    bool mute = false;
    bool mono = false;
    bool side_solo = false;
    Solo solo = Solo::off;
    int speaker_set = 0;
    std::array<SpeakerSet, kSpeakerSets> sets{};
    Preview preview = Preview::flat;
    Compare compare = Compare::chain;
    bool match = false;
    MatchOn match_on = MatchOn::integrated;
    Noise noise = Noise::off;
    int noise_speaker = 0;  ///< 0 left, 1 right
    double noise_level_db = -20.0;  ///< dBFS RMS
  };

  /// Sources the monitors can play, in Compare order: the chain, its input (bypass), the
  /// chains of snapshots A and B, and the reference track.
  static constexpr int kSources = 5;

  /// Loudness of one source, fed once per block from its meters.
  struct SourceLoudness {
    double integrated_lufs = -INFINITY;
    double short_term_lufs = -INFINITY;
    double true_peak_dbtp = -INFINITY;  ///< largest so far
  };
  /// Loudness of every source, in Compare order.
  using Loudness = std::array<SourceLoudness, kSources>;
  /// Every source as planar (left, right), in Compare order; a source with null channels
  /// (a snapshot chain that is not running) plays silence.
  using Sources = std::array<std::array<const double*, 2>, kSources>;

  /// Allocates delay lines; not real-time.
  void prepare(double sample_rate, std::uint32_t max_block);
  /// Jumps to `p` with no glide and clears filter and delay state.
  void reset(const Params& p) noexcept;
  /// Audio thread, once per block.
  void set_params(const Params& p) noexcept;
  /// Audio thread, once per block: the newest loudness readings; the preview and match
  /// gains glide to follow them.
  void set_loudness(const Loudness& l) noexcept;

  /// Audio thread: plays the compared source into `out`, the monitor feed; n <= max_block.
  /// `listen`, when not null, receives the listeners' feed: the compared source at its
  /// preview and match gains, without the listening matrix, translation curve, level, speaker
  /// calibration, trims, correction and delay. Neither output may alias a source.
  void process(const Sources& sources, double* const out[2], std::uint32_t n,
               double* const listen[2] = nullptr) noexcept;

  /// Gains (dB) the platform preview and loudness match apply to each source, as last
  /// targeted.
  const std::array<double, kSources>& source_gains_db() const noexcept { return source_gain_db_; }

  /// Matrix (out = m[0] * L + m[1] * R, m[2] * L + m[3] * R) for the listening switches.
  static std::array<double, 4> matrix(bool mono, bool side_solo, Solo solo) noexcept;

  /// Gains (dB) of the platform preview and loudness match for every source under `p` at
  /// loudness `l`. The match levels the compared pair: A and B, or the chain and `partner`
  /// (bypass or reference).
  static std::array<double, kSources> source_gains_db(const Params& p, const Loudness& l,
                                                      Compare partner = Compare::bypass) noexcept;

  /// What the chain is matched with: the bypass or the reference, whichever was compared last.
  Compare partner() const noexcept { return partner_; }

 private:
  static constexpr int kCurveSections = 5;
  static constexpr std::uint32_t kEqBlock = FilterGlide::kBlock;

  struct Curve {
    bool mono = false;
    int sections = 0;
    std::array<BiquadCoeffs, kCurveSections> coeffs{};
    std::array<std::array<BiquadState, kCurveSections>, 2> state{};
  };

  struct SpeakerState {
    LinearSmoother gain;  // linear: level, dim, mute, calibration and trim
    std::array<FilterGlide, kCorrectionBands> glide{};
    std::array<BiquadRamp, kCorrectionBands> ramp{};
    std::array<BiquadState, kCorrectionBands> state{};
    std::vector<double> delay;  // ring of past samples, power-of-two size
    std::uint32_t delay_now = 0;   // delay in samples heard (fades out during a change)
    std::uint32_t delay_next = 0;  // delay being faded in
    std::uint32_t delay_fade = 0;  // samples of the delay crossfade done (0 = none running)
  };

  void design_curves() noexcept;
  double run_curve(Curve& c, int ch, double x) noexcept;
  void update_targets() noexcept;
  void update_source_gains() noexcept;
  void follow_partner() noexcept;
  double delay_tap(const SpeakerState& s, std::uint32_t delay) const noexcept;
  void redesign_band(SpeakerState& s, int band, std::uint32_t ramp) noexcept;
  std::uint32_t delay_samples(double ms) const noexcept;

  double sample_rate_ = 48000.0;
  std::uint32_t fade_len_ = 480;   // samples of a crossfade
  std::uint32_t eq_phase_ = 0;     // samples since the correction EQ glides last advanced
  std::uint32_t delay_mask_ = 0;
  std::uint32_t delay_write_ = 0;  // next slot written in every speaker's delay ring

  Params params_;
  Compare partner_ = Compare::bypass;
  Loudness loudness_;
  std::array<double, kSources> source_gain_db_{};

  std::array<LinearSmoother, kSources> source_weight_{};  // 1 = heard, crossfaded on a switch
  std::array<LinearSmoother, kSources> source_gain_{};    // linear preview and match gain
  std::array<LinearSmoother, 4> matrix_{};
  std::array<Curve, kCurves> curves_{};
  int curve_ = 0;            // translation curve heard
  int curve_prev_ = 0;       // curve fading out
  LinearSmoother curve_mix_;  // 1 = curve_, 0 = curve_prev_
  std::array<SpeakerState, 2> speaker_{};
  PinkNoise noise_;
  PinkNoise::Band noise_band_ = PinkNoise::Band::full;  // kept while the noise fades out
  LinearSmoother noise_mix_;                      // 1 = the noise replaces the program
  std::array<LinearSmoother, 2> noise_gain_{};    // RMS of the noise per speaker, linear
};

}  // namespace lacquer::dsp
