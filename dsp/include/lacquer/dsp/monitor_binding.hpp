#pragma once
// /monitor/*: the monitor path's parameters, their schema rows and MonitorPath::Params.

#include <array>
#include <cmath>
#include <string>

#include "lacquer/dsp/monitor_path.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class MonitorBinding {
 public:
  using Stage = MonitorPath;
  static constexpr std::string_view kPrefix = "/monitor/";
  static constexpr ParamName kLevel{"level"}, kDim{"dim"}, kDimLevel{"dim_level"},
      kMute{"mute"}, kMono{"mono"}, kSideSolo{"side_solo"}, kSolo{"solo"},
      kSpeakers{"speakers"}, kPreview{"preview"}, kCompare{"compare"}, kMatch{"match"},
      kMatchOn{"match_on"}, kNoise{"noise"}, kNoiseSpeaker{"noise_speaker"},
      kNoiseLevel{"noise_level"};
  // Under each set's "speakers/SET/", each speaker's "speakers/SET/SIDE/" and each of its
  // correction bands' "speakers/SET/SIDE/eq/N/".
  static constexpr ParamName kCalibration{"calibration"}, kReferenceSpl{"reference_spl"};
  static constexpr ParamName kTrim{"trim"}, kDelay{"delay"};
  static constexpr ParamName kFreq{"freq"}, kGain{"gain"}, kQ{"q"};

  static void declare(SchemaBuilder& t) {
    // Level, dim, mute, calibration and trim are one gain per speaker.
    constexpr double kGainMs = MonitorPath::kGainGlideMs;
    constexpr double kFade = MonitorPath::kFadeMs;
    constexpr double kLoudness = MonitorPath::kLoudnessGainMs;
    t.under(std::string(kPrefix));
    t.db(kLevel, -80.0, 12.0, 0.0, kGainMs, "Monitor level (on top of the calibration)");
    t.boolean(kDim, false, kGainMs, "Dim the monitors by the dim level");
    t.db(kDimLevel, -40.0, 0.0, -20.0, kGainMs, "Attenuation while dimmed");
    t.boolean(kMute, false, kGainMs, "Mute the monitors");
    t.boolean(kMono, false, kFade, "Listen to the mid (L+R)/2 on both speakers");
    t.boolean(kSideSolo, false, kFade, "Listen to the side (L-R)/2 on both speakers");
    t.choice(kSolo, {"off", "left", "right"}, 0, kFade, "Listen to one channel on both speakers");
    // The sets' levels glide as gains, their correction bands in kCorrectionGlideMs.
    t.choice(kSpeakers, {"main", "alt", "mini"}, 0, kGainMs, "Speaker set");
    // Curves crossfade; a service's playback gain glides in kLoudnessGainMs.
    t.choice(kPreview,
             {"flat", "phone", "earbuds", "laptop", "car", "spotify", "apple", "youtube", "tidal",
              "deezer", "amazon"},
             0, kFade, "Translation curve or the playback gain a streaming service would apply");
    t.choice(kCompare, {"chain", "bypass", "A", "B", "reference"}, 0, kFade,
             "What the monitors play: the chain, its input, snapshot A or B, or the reference "
             "track");
    t.boolean(kMatch, false, kLoudness, "Match the loudness of the compared signals");
    t.choice(kMatchOn, {"integrated", "short_term"}, 0, kLoudness,
             "Loudness the compare match uses");
    t.choice(kNoise, {"off", "mid", "full"}, 0, kFade,
             "SPL reference: pink noise 500 Hz-2 kHz (mid) or full band in place of the program");
    t.choice(kNoiseSpeaker, {"left", "right"}, 0, kFade, "Speaker the reference noise plays on");
    t.db(kNoiseLevel, -40.0, -6.0, -20.0, kFade, "RMS level of the reference noise (dBFS RMS)");

    for (int set = 0; set < MonitorPath::kSpeakerSets; ++set) {
      t.under(std::string(kPrefix) + set_path(set));
      t.db(kCalibration, -40.0, 20.0, 0.0, kGainMs,
           "Gain that puts this set at the room's reference level");
      // Read by consoles only; nothing is processed with it.
      t.real(kReferenceSpl, "dB SPL", 0.0, 130.0, 0.0, kAtOnce,
             "SPL the -20 dBFS RMS reference noise reads at monitor level 0 dB (0: not entered)");
      for (int side = 0; side < 2; ++side) {
        t.under(std::string(kPrefix) + speaker_path(set, side));
        t.db(kTrim, -20.0, 20.0, 0.0, kGainMs, "Level trim of this speaker");
        t.real(kDelay, "ms", 0.0, MonitorPath::kMaxDelayMs, 0.0, kFade,
               "Delay of this speaker (time alignment)");
        for (int b = 0; b < MonitorPath::kCorrectionBands; ++b) {
          constexpr double kEq = MonitorPath::kCorrectionGlideMs;
          t.under(std::string(kPrefix) + band_path(set, side, b));
          t.hz(kFreq, 20.0, 20000.0, 100.0 * std::pow(4.0, b), kEq,
               "Correction band centre frequency");
          t.db(kGain, -18.0, 12.0, 0.0, kEq, "Correction band gain (0 = off)");
          t.real(kQ, "", 0.3, 12.0, 1.0, kEq, "Correction band quality factor",
                 Taper::logarithmic);
        }
      }
    }
  }

  explicit MonitorBinding(const Schema& s)
      : ids_(s, kPrefix),
        level_(ids_(kLevel)),
        dim_(ids_(kDim)),
        dim_level_(ids_(kDimLevel)),
        mute_(ids_(kMute)),
        mono_(ids_(kMono)),
        side_solo_(ids_(kSideSolo)),
        solo_(ids_(kSolo)),
        speakers_(ids_(kSpeakers)),
        preview_(ids_(kPreview)),
        compare_(ids_(kCompare)),
        match_(ids_(kMatch)),
        match_on_(ids_(kMatchOn)),
        noise_(ids_(kNoise)),
        noise_speaker_(ids_(kNoiseSpeaker)),
        noise_level_(ids_(kNoiseLevel)) {
    for (int set = 0; set < MonitorPath::kSpeakerSets; ++set) {
      calibration_[set] = ids_(set_path(set), kCalibration);
      reference_spl_[set] = ids_(set_path(set), kReferenceSpl);
      for (int c = 0; c < 2; ++c) {
        SpeakerIds& k = speaker_[set][c];
        k.trim = ids_(speaker_path(set, c), kTrim);
        k.delay = ids_(speaker_path(set, c), kDelay);
        for (int b = 0; b < MonitorPath::kCorrectionBands; ++b) {
          const std::string e = band_path(set, c, b);
          k.eq[b] = {ids_(e, kFreq), ids_(e, kGain), ids_(e, kQ)};
        }
      }
    }
  }

  MonitorPath::Params read(const ParamStore& p) const noexcept {
    MonitorPath::Params m;
    m.level_db = p.get(level_);
    m.dim = p.flag(dim_);
    m.dim_db = p.get(dim_level_);
    m.mute = p.flag(mute_);
    m.mono = p.flag(mono_);
    m.side_solo = p.flag(side_solo_);
    m.solo = static_cast<MonitorPath::Solo>(p.index(solo_));
    m.speaker_set = p.index(speakers_);
    m.preview = static_cast<MonitorPath::Preview>(p.index(preview_));
    m.compare = static_cast<MonitorPath::Compare>(p.index(compare_));
    m.match = p.flag(match_);
    m.match_on = static_cast<MonitorPath::MatchOn>(p.index(match_on_));
    m.noise = static_cast<MonitorPath::Noise>(p.index(noise_));
    m.noise_speaker = p.index(noise_speaker_);
    m.noise_level_db = p.get(noise_level_);
    for (int set = 0; set < MonitorPath::kSpeakerSets; ++set) {
      m.sets[set].calibration_db = p.get(calibration_[set]);
      m.sets[set].reference_spl_db = p.get(reference_spl_[set]);
      for (int c = 0; c < 2; ++c) {
        const SpeakerIds& k = speaker_[set][c];
        MonitorPath::Speaker& sp = m.sets[set].speakers[c];
        sp.trim_db = p.get(k.trim);
        sp.delay_ms = p.get(k.delay);
        for (int b = 0; b < MonitorPath::kCorrectionBands; ++b) {
          sp.eq[b] = {.freq_hz = p.get(k.eq[b][0]), .gain_db = p.get(k.eq[b][1]),
                      .q = p.get(k.eq[b][2])};
        }
      }
    }
    return m;
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  struct SpeakerIds {
    ParamId trim, delay;
    std::array<std::array<ParamId, 3>, MonitorPath::kCorrectionBands> eq;  // freq, gain, q
  };

  // Paths under the prefix (0-based set, side and band; bands count from 1 in paths). The
  // set names are /monitor/speakers' choices.
  static std::string set_path(int set) {
    static constexpr const char* kSetNames[MonitorPath::kSpeakerSets] = {"main", "alt", "mini"};
    return std::string("speakers/") + kSetNames[set] + "/";
  }
  static std::string speaker_path(int set, int side) {
    return set_path(set) + (side == 0 ? "left/" : "right/");
  }
  static std::string band_path(int set, int side, int band) {
    return speaker_path(set, side) + "eq/" + std::to_string(band + 1) + "/";
  }

  ParamIdList ids_;
  ParamId level_, dim_, dim_level_, mute_, mono_, side_solo_, solo_, speakers_, preview_,
      compare_, match_, match_on_, noise_, noise_speaker_, noise_level_;
  std::array<ParamId, MonitorPath::kSpeakerSets> calibration_{};
  std::array<ParamId, MonitorPath::kSpeakerSets> reference_spl_{};
  std::array<std::array<SpeakerIds, 2>, MonitorPath::kSpeakerSets> speaker_{};
};

}  // namespace lacquer::dsp
