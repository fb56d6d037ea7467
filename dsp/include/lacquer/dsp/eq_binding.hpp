#pragma once
// /chain/eq/*: the eq stage's parameters, their schema rows and EqStage::Params.

#include <algorithm>
#include <array>
#include <string>

#include "lacquer/dsp/eq_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class EqBinding {
 public:
  using Stage = EqStage;
  static constexpr std::string_view kPrefix = "/chain/eq/";
  // Under each band's "N/", then the stage's own.
  static constexpr ParamName kEnabled{"enabled"}, kType{"type"}, kMode{"mode"}, kFreq{"freq"},
      kGain{"gain"}, kQ{"q"}, kSlope{"slope"};
  static constexpr ParamName kBypass{"bypass"};

  static void declare(SchemaBuilder& t) {
    // Band frequencies start spread over the spectrum so enabling a band lands somewhere useful.
    constexpr std::array<double, EqStage::kBands> kDefaultFreqHz = {
        30.0, 80.0, 200.0, 500.0, 1200.0, 3000.0, 7000.0, 14000.0};
    // A new type, mode or slope fades the band out and in again.
    constexpr double kSwitch = 2.0 * EqStage::kBandFadeMs;
    for (int b = 0; b < EqStage::kBands; ++b) {
      t.under(std::string(kPrefix) + band(b));
      t.boolean(kEnabled, false, EqStage::kBandFadeMs, "Band switched in");
      t.choice(kType, {"bell", "low_shelf", "high_shelf", "high_pass", "low_pass", "notch"}, 0,
               kSwitch, "Filter type");
      t.choice(kMode, {"stereo", "mid", "side", "left", "right"}, 0, kSwitch,
               "Channels the band acts on");
      t.hz(kFreq, 10.0, 22000.0, kDefaultFreqHz[static_cast<std::size_t>(b)], EqStage::kGlideMs,
           "Centre, corner or shelf mid-point frequency");
      t.db(kGain, -18.0, 18.0, 0.0, EqStage::kGlideMs, "Gain of bell and shelf bands");
      t.real(kQ, "", 0.1, 18.0, 0.707, EqStage::kGlideMs,
             "Quality factor (bell, notch: bandwidth; shelf: slope; pass: resonance)",
             Taper::logarithmic);
      t.choice(kSlope, {"12", "24", "36", "48"}, 0, kSwitch, "High/low pass slope in dB/oct");
    }
    t.under(std::string(kPrefix));
    t.bypass(kBypass, BypassFade::kFadeMs);
  }

  explicit EqBinding(const Schema& s) : ids_(s, kPrefix), bypass_(ids_(kBypass)) {
    for (int b = 0; b < EqStage::kBands; ++b) {
      const std::string n = band(b);
      bands_[b] = {ids_(n, kEnabled), ids_(n, kType), ids_(n, kMode), ids_(n, kFreq),
                   ids_(n, kGain),    ids_(n, kQ),    ids_(n, kSlope)};
    }
  }

  EqStage::Params read(const ParamStore& p) const noexcept {
    EqStage::Params e;
    e.bypass = p.flag(bypass_);
    for (int b = 0; b < EqStage::kBands; ++b) {
      const BandIds& k = bands_[b];
      e.bands[b] = {.enabled = p.flag(k.enabled),
                    .type = static_cast<EqType>(p.index(k.type)),
                    .mode = static_cast<ChannelMode>(p.index(k.mode)),
                    .freq_hz = p.get(k.freq),
                    .gain_db = p.get(k.gain),
                    .q = p.get(k.q),
                    .slope_db_oct = kSlopes[std::clamp(p.index(k.slope), 0, 3)]};
    }
    return e;
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  // /chain/eq/N/slope choices, in order.
  static constexpr int kSlopes[] = {12, 24, 36, 48};
  struct BandIds {
    ParamId enabled, type, mode, freq, gain, q, slope;
  };

  // The path of bands[b] under the prefix: band 1 is bands[0].
  static std::string band(int b) { return std::to_string(b + 1) + "/"; }

  ParamIdList ids_;
  ParamId bypass_;
  std::array<BandIds, EqStage::kBands> bands_{};
};

}  // namespace lacquer::dsp
