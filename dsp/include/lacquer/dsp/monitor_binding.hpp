#pragma once
// /monitor/* into MonitorPath::Params.

#include <array>
#include <string>

#include "lacquer/dsp/monitor_path.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class MonitorBinding {
 public:
  using Stage = MonitorPath;

  explicit MonitorBinding(const Schema& s)
      : ids_(s, "/monitor/"),
        level_(ids_("level")),
        dim_(ids_("dim")),
        dim_level_(ids_("dim_level")),
        mute_(ids_("mute")),
        mono_(ids_("mono")),
        side_solo_(ids_("side_solo")),
        solo_(ids_("solo")),
        speakers_(ids_("speakers")),
        preview_(ids_("preview")),
        compare_(ids_("compare")),
        match_(ids_("match")),
        match_on_(ids_("match_on")),
        noise_(ids_("noise")),
        noise_speaker_(ids_("noise_speaker")),
        noise_level_(ids_("noise_level")) {
    static constexpr const char* kSetNames[MonitorPath::kSpeakerSets] = {"main", "alt", "mini"};
    static constexpr const char* kSides[2] = {"left", "right"};
    for (int set = 0; set < MonitorPath::kSpeakerSets; ++set) {
      const std::string p = std::string("speakers/") + kSetNames[set] + "/";
      calibration_[set] = ids_(p + "calibration");
      reference_spl_[set] = ids_(p + "reference_spl");
      for (int c = 0; c < 2; ++c) {
        const std::string sp = p + kSides[c] + "/";
        SpeakerIds& k = speaker_[set][c];
        k.trim = ids_(sp + "trim");
        k.delay = ids_(sp + "delay");
        for (int b = 0; b < MonitorPath::kCorrectionBands; ++b) {
          const std::string e = sp + "eq/" + std::to_string(b + 1) + "/";
          k.eq[b] = {ids_(e + "freq"), ids_(e + "gain"), ids_(e + "q")};
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

  ParamIdList ids_;
  ParamId level_, dim_, dim_level_, mute_, mono_, side_solo_, solo_, speakers_, preview_,
      compare_, match_, match_on_, noise_, noise_speaker_, noise_level_;
  std::array<ParamId, MonitorPath::kSpeakerSets> calibration_{};
  std::array<ParamId, MonitorPath::kSpeakerSets> reference_spl_{};
  std::array<std::array<SpeakerIds, 2>, MonitorPath::kSpeakerSets> speaker_{};
};

}  // namespace lacquer::dsp
