#pragma once
// /chain/limiter/*: the limiter's parameters, their schema rows and LimiterStage::Params.

#include "lacquer/dsp/limiter_stage.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

class LimiterBinding {
 public:
  using Stage = LimiterStage;
  static constexpr std::string_view kPrefix = "/chain/limiter/";
  static constexpr ParamName kDrive{"drive"}, kCeiling{"ceiling"}, kRelease{"release"},
      kLookahead{"lookahead"}, kHold{"hold"}, kBypass{"bypass"};

  static void declare(SchemaBuilder& t) {
    constexpr double kGlide = LimiterStage::kSmoothingMs;  // drive, ceiling and bypass
    t.under(std::string(kPrefix));
    t.db(kDrive, -48.0, 24.0, 0.0, kGlide,
         "Gain into the limiter: raises loudness while the ceiling holds the peaks");
    t.real(kCeiling, "dBTP", -12.0, 0.0, 0.0, kGlide, "Highest true peak of the output");
    t.ms(kRelease, LimiterStage::kMinReleaseMs, 1000.0, 100.0, "Release time constant");
    t.real(kLookahead, "ms", LimiterStage::kMinLookaheadMs, LimiterStage::kMaxLookaheadMs, 2.0,
           kAtOnce, "Attack ramp before a peak (the latency stays at its 5 ms maximum)");
    t.real(kHold, "ms", 0.0, LimiterStage::kMaxHoldMs, 10.0, kAtOnce,
           "Time the gain stays down after a peak before releasing");
    t.bypass(kBypass, kGlide);
  }

  explicit LimiterBinding(const Schema& s)
      : ids_(s, kPrefix),
        drive_(ids_(kDrive)),
        ceiling_(ids_(kCeiling)),
        release_(ids_(kRelease)),
        lookahead_(ids_(kLookahead)),
        hold_(ids_(kHold)),
        bypass_(ids_(kBypass)) {}

  LimiterStage::Params read(const ParamStore& p) const noexcept {
    return {.bypass = p.flag(bypass_),
            .drive_db = p.get(drive_),
            .ceiling_db = p.get(ceiling_),
            .release_ms = p.get(release_),
            .lookahead_ms = p.get(lookahead_),
            .hold_ms = p.get(hold_)};
  }
  const ParamIdList& ids() const noexcept { return ids_; }

 private:
  ParamIdList ids_;
  ParamId drive_, ceiling_, release_, lookahead_, hold_, bypass_;
};

}  // namespace lacquer::dsp
