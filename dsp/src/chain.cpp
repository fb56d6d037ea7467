#include "lacquer/dsp/chain.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

namespace lacquer::dsp {

namespace {

const char* const kSpeakerSetNames[MonitorPath::kSpeakerSets] = {"main", "alt", "mini"};
const char* const kSides[2] = {"left", "right"};
// /chain/eq/N/slope choices, in order.
constexpr int kSlopes[] = {12, 24, 36, 48};
// /chain/output/bits choices (off, 16, 24) as word lengths; 0 leaves the signal unreduced.
constexpr int kBits[] = {0, 16, 24};

}  // namespace

Chain::Ids Chain::resolve(const Schema& s) {
  Ids ids{};
  auto dynamics = [&s](const std::string& p) {
    return DynamicsIds{s.id(p + "/threshold"), s.id(p + "/ratio"), s.id(p + "/attack"),
                       s.id(p + "/release"),   s.id(p + "/knee"),  s.id(p + "/makeup")};
  };
  ids.in_trim = s.id("/chain/input/trim");
  ids.in_pol_l = s.id("/chain/input/polarity_left");
  ids.in_pol_r = s.id("/chain/input/polarity_right");
  ids.in_balance = s.id("/chain/input/balance");
  ids.in_dc_block = s.id("/chain/input/dc_block");
  ids.in_bypass = s.id("/chain/input/bypass");
  for (int b = 0; b < EqStage::kBands; ++b) {
    const std::string p = "/chain/eq/" + std::to_string(b + 1);
    ids.eq_band[b] = {s.id(p + "/enabled"), s.id(p + "/type"), s.id(p + "/mode"),
                      s.id(p + "/freq"),    s.id(p + "/gain"), s.id(p + "/q"),
                      s.id(p + "/slope")};
  }
  ids.eq_bypass = s.id("/chain/eq/bypass");
  for (int x = 0; x < 3; ++x) {
    ids.mb_crossover[x] = s.id("/chain/multiband/crossover/" + std::to_string(x + 1) + "/freq");
  }
  for (int b = 0; b < MultibandStage::kBands; ++b) {
    const std::string p = "/chain/multiband/" + std::to_string(b + 1);
    ids.mb_dyn[b] = dynamics(p);
    ids.mb_band_bypass[b] = s.id(p + "/bypass");
    ids.mb_solo[b] = s.id(p + "/solo");
  }
  ids.mb_bands = s.id("/chain/multiband/bands");
  ids.mb_detector = s.id("/chain/multiband/detector");
  ids.mb_link = s.id("/chain/multiband/link");
  ids.mb_mode = s.id("/chain/multiband/mode");
  ids.mb_bypass = s.id("/chain/multiband/bypass");
  ids.comp_dyn = dynamics("/chain/comp");
  ids.comp_detector = s.id("/chain/comp/detector");
  ids.comp_link = s.id("/chain/comp/link");
  ids.comp_sc_hpf = s.id("/chain/comp/sidechain_hpf");
  ids.comp_mix = s.id("/chain/comp/mix");
  ids.comp_auto_makeup = s.id("/chain/comp/auto_makeup");
  ids.comp_bypass = s.id("/chain/comp/bypass");
  ids.st_width = s.id("/chain/stereo/width");
  ids.st_mono_below = s.id("/chain/stereo/mono_below");
  ids.st_bypass = s.id("/chain/stereo/bypass");
  ids.lim_drive = s.id("/chain/limiter/drive");
  ids.lim_ceiling = s.id("/chain/limiter/ceiling");
  ids.lim_release = s.id("/chain/limiter/release");
  ids.lim_lookahead = s.id("/chain/limiter/lookahead");
  ids.lim_hold = s.id("/chain/limiter/hold");
  ids.lim_bypass = s.id("/chain/limiter/bypass");
  ids.out_gain = s.id("/chain/output/gain");
  ids.out_bits = s.id("/chain/output/bits");
  ids.out_dither = s.id("/chain/output/dither");
  ids.out_bypass = s.id("/chain/output/bypass");

  ids.mon_level = s.id("/monitor/level");
  ids.mon_dim = s.id("/monitor/dim");
  ids.mon_dim_level = s.id("/monitor/dim_level");
  ids.mon_mute = s.id("/monitor/mute");
  ids.mon_mono = s.id("/monitor/mono");
  ids.mon_side_solo = s.id("/monitor/side_solo");
  ids.mon_solo = s.id("/monitor/solo");
  ids.mon_speakers = s.id("/monitor/speakers");
  ids.mon_preview = s.id("/monitor/preview");
  ids.mon_compare = s.id("/monitor/compare");
  ids.mon_match = s.id("/monitor/match");
  ids.mon_match_on = s.id("/monitor/match_on");
  for (int set = 0; set < MonitorPath::kSpeakerSets; ++set) {
    const std::string p = std::string("/monitor/speakers/") + kSpeakerSetNames[set];
    ids.calibration[set] = s.id(p + "/calibration");
    for (int c = 0; c < 2; ++c) {
      const std::string sp = p + "/" + kSides[c];
      SpeakerIds& k = ids.speaker[set][c];
      k.trim = s.id(sp + "/trim");
      k.delay = s.id(sp + "/delay");
      for (int b = 0; b < MonitorPath::kCorrectionBands; ++b) {
        const std::string e = sp + "/eq/" + std::to_string(b + 1);
        k.eq[b] = {s.id(e + "/freq"), s.id(e + "/gain"), s.id(e + "/q")};
      }
    }
  }
  return ids;
}

Chain::Chain(const ParamStore& params, double sample_rate)
    : params_(params),
      sample_rate_(sample_rate),
      ids_(resolve(params.schema())),
      spectrum_in_(sample_rate),
      spectrum_out_(sample_rate) {
  input_.prepare(sample_rate, kMaxBlock);
  eq_.prepare(sample_rate, kMaxBlock);
  multiband_.prepare(sample_rate, kMaxBlock);
  comp_.prepare(sample_rate, kMaxBlock);
  stereo_.prepare(sample_rate, kMaxBlock);
  limiter_.prepare(sample_rate, kMaxBlock);
  output_.prepare(sample_rate, kMaxBlock);
  monitor_.prepare(sample_rate, kMaxBlock);
  in_meter_.prepare(sample_rate, kMaxBlock);
  out_meter_.prepare(sample_rate, kMaxBlock);

  latency_ = input_.latency_frames() + eq_.latency_frames() + multiband_.latency_frames() +
             comp_.latency_frames() + stereo_.latency_frames() + limiter_.latency_frames();

  for (int c = 0; c < 2; ++c) {
    in_[c].assign(kMaxBlock, 0.0);
    buf_[c].assign(kMaxBlock, 0.0);
    dry_[c].assign(kMaxBlock, 0.0);
    snapshot_a_[c].assign(kMaxBlock, 0.0);
    snapshot_b_[c].assign(kMaxBlock, 0.0);
    reference_[c].assign(kMaxBlock, 0.0);
    mon_[c].assign(kMaxBlock, 0.0);
    listen_[c].assign(kMaxBlock, 0.0);
    dry_ring_[c].assign(std::bit_ceil(latency_ + kMaxBlock), 0.0);
  }
  dry_mask_ = static_cast<std::uint32_t>(dry_ring_[0].size() - 1);

  read_params();
  input_.reset(input_params_);
  eq_.reset(eq_params_);
  multiband_.reset(multiband_params_);
  comp_.reset(comp_params_);
  stereo_.reset(stereo_params_);
  limiter_.reset(limiter_params_);
  output_.reset(output_params_);
  monitor_.reset(monitor_params_);
}

void Chain::read_params() noexcept {
  const std::uint64_t version = params_.version();
  if (version == seen_version_) return;
  seen_version_ = version;
  const ParamStore& p = params_;
  auto flag = [&p](ParamId id) { return p.get(id) >= 0.5; };
  auto index = [&p](ParamId id) { return static_cast<int>(std::lround(p.get(id))); };
  auto dynamics = [&p](const DynamicsIds& k) {
    return DynamicsSettings{.threshold_db = p.get(k.threshold),
                            .ratio = p.get(k.ratio),
                            .knee_db = p.get(k.knee),
                            .attack_ms = p.get(k.attack),
                            .release_ms = p.get(k.release)};
  };

  input_params_ = {.bypass = flag(ids_.in_bypass),
                   .trim_db = p.get(ids_.in_trim),
                   .invert_left = flag(ids_.in_pol_l),
                   .invert_right = flag(ids_.in_pol_r),
                   .balance_pct = p.get(ids_.in_balance),
                   .dc_block = flag(ids_.in_dc_block)};

  eq_params_.bypass = flag(ids_.eq_bypass);
  for (int b = 0; b < EqStage::kBands; ++b) {
    const EqBandIds& k = ids_.eq_band[b];
    EqStage::Band& band = eq_params_.bands[b];
    band.enabled = flag(k.enabled);
    band.type = static_cast<EqType>(index(k.type));
    band.mode = static_cast<ChannelMode>(index(k.mode));
    band.freq_hz = p.get(k.freq);
    band.gain_db = p.get(k.gain);
    band.q = p.get(k.q);
    band.slope_db_oct = kSlopes[std::clamp(index(k.slope), 0, 3)];
  }

  MultibandStage::Params& mb = multiband_params_;
  mb.bypass = flag(ids_.mb_bypass);
  mb.bands = index(ids_.mb_bands);
  for (int x = 0; x < 3; ++x) mb.crossover_hz[x] = p.get(ids_.mb_crossover[x]);
  for (int b = 0; b < MultibandStage::kBands; ++b) {
    mb.band[b] = {.dynamics = dynamics(ids_.mb_dyn[b]),
                  .makeup_db = p.get(ids_.mb_dyn[b].makeup),
                  .bypass = flag(ids_.mb_band_bypass[b]),
                  .solo = flag(ids_.mb_solo[b])};
  }
  mb.link_pct = p.get(ids_.mb_link);
  mb.mode = static_cast<MultibandStage::Mode>(index(ids_.mb_mode));
  mb.detector = static_cast<Detector>(index(ids_.mb_detector));

  comp_params_ = {.bypass = flag(ids_.comp_bypass),
                  .dynamics = dynamics(ids_.comp_dyn),
                  .makeup_db = p.get(ids_.comp_dyn.makeup),
                  .auto_makeup = flag(ids_.comp_auto_makeup),
                  .detector = static_cast<Detector>(index(ids_.comp_detector)),
                  .sidechain_hpf_hz = p.get(ids_.comp_sc_hpf),
                  .mix_pct = p.get(ids_.comp_mix),
                  .link_pct = p.get(ids_.comp_link)};

  stereo_params_ = {.bypass = flag(ids_.st_bypass),
                    .width_pct = p.get(ids_.st_width),
                    .mono_below_hz = p.get(ids_.st_mono_below)};

  limiter_params_.bypass = flag(ids_.lim_bypass);
  limiter_params_.drive_db = p.get(ids_.lim_drive);
  limiter_params_.ceiling_db = p.get(ids_.lim_ceiling);
  limiter_params_.release_ms = p.get(ids_.lim_release);
  limiter_params_.lookahead_ms = p.get(ids_.lim_lookahead);
  limiter_params_.hold_ms = p.get(ids_.lim_hold);

  output_params_ = {.bypass = flag(ids_.out_bypass),
                    .gain_db = p.get(ids_.out_gain),
                    .bits = kBits[std::clamp(index(ids_.out_bits), 0, 2)],
                    .dither = static_cast<DitherType>(index(ids_.out_dither))};

  MonitorPath::Params& m = monitor_params_;
  m.level_db = p.get(ids_.mon_level);
  m.dim = flag(ids_.mon_dim);
  m.dim_db = p.get(ids_.mon_dim_level);
  m.mute = flag(ids_.mon_mute);
  m.mono = flag(ids_.mon_mono);
  m.side_solo = flag(ids_.mon_side_solo);
  m.solo = static_cast<MonitorPath::Solo>(index(ids_.mon_solo));
  m.speaker_set = index(ids_.mon_speakers);
  m.preview = static_cast<MonitorPath::Preview>(index(ids_.mon_preview));
  m.compare = static_cast<MonitorPath::Compare>(index(ids_.mon_compare));
  m.match = flag(ids_.mon_match);
  m.match_on = static_cast<MonitorPath::MatchOn>(index(ids_.mon_match_on));
  for (int set = 0; set < MonitorPath::kSpeakerSets; ++set) {
    m.sets[set].calibration_db = p.get(ids_.calibration[set]);
    for (int c = 0; c < 2; ++c) {
      const SpeakerIds& k = ids_.speaker[set][c];
      MonitorPath::Speaker& sp = m.sets[set].speakers[c];
      sp.trim_db = p.get(k.trim);
      sp.delay_ms = p.get(k.delay);
      for (int b = 0; b < MonitorPath::kCorrectionBands; ++b) {
        sp.eq[b] = {.freq_hz = p.get(k.eq[b][0]), .gain_db = p.get(k.eq[b][1]),
                    .q = p.get(k.eq[b][2])};
      }
    }
  }

  input_.set_params(input_params_);
  eq_.set_params(eq_params_);
  multiband_.set_params(multiband_params_);
  comp_.set_params(comp_params_);
  stereo_.set_params(stereo_params_);
  limiter_.set_params(limiter_params_);
  output_.set_params(output_params_);
  monitor_.set_params(monitor_params_);
}

void Chain::process(const float* const in[2], float* const out[2], float* const mon[2],
                    std::uint32_t nframes, const MonitorFeeds* feeds) noexcept {
  read_params();
  feeds_ = feeds;
  for (std::uint32_t offset = 0; offset < nframes; offset += kMaxBlock) {
    process_block(in, out, mon, offset, std::min(kMaxBlock, nframes - offset));
  }
  feeds_ = nullptr;
  meters_.frames += nframes;
}

void Chain::process_block(const float* const in[2], float* const out[2], float* const mon[2],
                          std::uint32_t offset, std::uint32_t n) noexcept {
  double* l = buf_[0].data();
  double* r = buf_[1].data();
  // The input as doubles into the print path, the input meters' copy and the dry ring (in
  // at most two runs, where it wraps).
  const std::uint32_t first_run = std::min(n, dry_mask_ + 1 - dry_write_);
  for (int c = 0; c < 2; ++c) {
    const float* from = in[c] + offset;
    double* print = buf_[c].data();
    for (std::uint32_t i = 0; i < n; ++i) print[i] = from[i];
    if (metering_) std::copy(print, print + n, in_[c].begin());
    double* ring = dry_ring_[c].data();
    std::copy(print, print + first_run, ring + dry_write_);
    std::copy(print + first_run, print + n, ring);
  }

  input_.process(l, r, n);
  eq_.process(l, r, n);
  multiband_.process(l, r, n);
  comp_.process(l, r, n);
  stereo_.process(l, r, n);
  limiter_.process(l, r, n);
  output_.process(l, r, n);

  for (int c = 0; c < 2; ++c) {
    for (std::uint32_t i = 0; i < n; ++i) out[c][offset + i] = static_cast<float>(buf_[c][i]);
  }
  if (metering_) meter(n);
  for (int b = 0; b < MultibandStage::kBands; ++b) {
    meters_.multiband_gr_db[b] = multiband_.band_gain_reduction_db(b);
  }
  meters_.comp_gr_db = comp_.gain_reduction_db();
  meters_.limiter_gr_db = limiter_.gain_reduction_db();

  if (mon != nullptr) {
    for (int c = 0; c < 2; ++c) {
      for (std::uint32_t i = 0; i < n; ++i) {
        dry_[c][i] = dry_ring_[c][(dry_write_ + i - latency_) & dry_mask_];
      }
    }
    MonitorPath::Sources sources{};
    sources[0] = {l, r};
    sources[1] = {dry_[0].data(), dry_[1].data()};
    // Each extra source as doubles into `to`; returns the pair for MonitorPath::Sources.
    const auto take = [&](const std::array<const float*, 2>& from,
                          std::array<std::vector<double>, 2>& to) {
      for (int c = 0; c < 2; ++c) std::copy(from[c] + offset, from[c] + offset + n, to[c].begin());
      return std::array<const double*, 2>{to[0].data(), to[1].data()};
    };
    const bool listening = feeds_ != nullptr && feeds_->listen[0] != nullptr;
    if (feeds_ != nullptr) {
      if (feeds_->chains[0] != nullptr) {
        sources[static_cast<int>(MonitorPath::Compare::a)] = take(feeds_->print[0], snapshot_a_);
        sources[static_cast<int>(MonitorPath::Compare::b)] = take(feeds_->print[1], snapshot_b_);
      }
      if (feeds_->reference[0] != nullptr) {
        sources[static_cast<int>(MonitorPath::Compare::reference)] =
            take(feeds_->reference, reference_);
      }
    }
    double* feed[2] = {mon_[0].data(), mon_[1].data()};
    double* listen[2] = {listen_[0].data(), listen_[1].data()};
    monitor_.process(sources, feed, n, listening ? listen : nullptr);
    for (int c = 0; c < 2; ++c) {
      for (std::uint32_t i = 0; i < n; ++i) mon[c][offset + i] = static_cast<float>(mon_[c][i]);
      if (!listening) continue;
      float* to = feeds_->listen[static_cast<std::size_t>(c)] + offset;
      for (std::uint32_t i = 0; i < n; ++i) to[i] = static_cast<float>(listen_[c][i]);
    }
  }
  dry_write_ = (dry_write_ + n) & dry_mask_;
}

namespace {

// Meters n frames, starting a new measurement before frame restart_in - 1 when that falls
// in this block.
void meter_point(ProgramMeter& meter, const double* left, const double* right, std::uint32_t n,
                 std::uint32_t& restart_in) noexcept {
  if (restart_in == 0) {
    meter.process(left, right, n);
    return;
  }
  const std::uint32_t before = restart_in - 1;
  if (before >= n) {
    meter.process(left, right, n);
    restart_in -= n;
    return;
  }
  if (before > 0) meter.process(left, right, before);
  meter.restart();
  meter.process(left + before, right + before, n - before);
  restart_in = 0;
}

}  // namespace

void Chain::meter(std::uint32_t n) noexcept {
  meter_point(in_meter_, in_[0].data(), in_[1].data(), n, in_restart_in_);
  meter_point(out_meter_, buf_[0].data(), buf_[1].data(), n, out_restart_in_);
  spectrum_in_.push(in_[0].data(), in_[1].data(), n);
  spectrum_out_.push(buf_[0].data(), buf_[1].data(), n);
  meters_.in = in_meter_.reading();
  meters_.out = out_meter_.reading();
  for (int c = 0; c < 2; ++c) {
    meters_.sample_peak_in_dbfs[c] = meters_.in.sample_peak_dbfs[c];
    meters_.sample_peak_out_dbfs[c] = meters_.out.sample_peak_dbfs[c];
  }
  // The monitor's platform preview and loudness match follow these readings.
  const auto loudness_of = [](const MeterReading& m) {
    return MonitorPath::SourceLoudness{
        .integrated_lufs = m.loudness.integrated_lufs,
        .short_term_lufs = m.loudness.short_term_lufs,
        .true_peak_dbtp = std::max(m.true_peak_max_dbtp[0], m.true_peak_max_dbtp[1])};
  };
  MonitorPath::Loudness loudness{loudness_of(meters_.out), loudness_of(meters_.in)};
  if (feeds_ != nullptr) {
    if (feeds_->chains[0] != nullptr) {
      for (int k = 0; k < 2; ++k) loudness[2 + k] = loudness_of(feeds_->chains[k]->meters().out);
    }
    loudness[static_cast<int>(MonitorPath::Compare::reference)] = feeds_->reference_loudness;
  }
  monitor_.set_loudness(loudness);
}

}  // namespace lacquer::dsp
