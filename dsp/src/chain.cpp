#include "lacquer/dsp/chain.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace lacquer::dsp {

Chain::Chain(const ParamStore& params, double sample_rate)
    : params_(params),
      sample_rate_(sample_rate),
      print_(params.schema()),
      monitor_params_(params.schema()) {
  print_.prepare(sample_rate, kMaxBlock);
  monitor_.prepare(sample_rate, kMaxBlock);
  in_meter_.prepare(sample_rate, kMaxBlock);
  out_meter_.prepare(sample_rate, kMaxBlock);
  latency_ = print_.latency_frames();

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

  seen_version_ = params_.version();  // before the values: a later change reads again
  print_.reset(params_);
  monitor_params_.read(params_);
  monitor_.reset(monitor_params_.params);
}

void Chain::read_params() noexcept {
  const std::uint64_t version = params_.version();
  if (version == seen_version_) return;
  seen_version_ = version;
  print_.update(params_);
  if (monitor_params_.refresh(params_)) monitor_.set_params(monitor_params_.params);
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
  // The input as doubles into the print path, the input meters' copy and, for the monitors'
  // bypass source, the dry ring (in at most two runs, where it wraps).
  const std::uint32_t first_run = std::min(n, dry_mask_ + 1 - dry_write_);
  for (int c = 0; c < 2; ++c) {
    const float* from = in[c] + offset;
    double* print = buf_[c].data();
    for (std::uint32_t i = 0; i < n; ++i) print[i] = from[i];
    if (metering_) std::copy(print, print + n, in_[c].begin());
    if (mon == nullptr) continue;
    double* ring = dry_ring_[c].data();
    std::copy(print, print + first_run, ring + dry_write_);
    std::copy(print + first_run, print + n, ring);
  }

  print_.process(l, r, n);

  for (int c = 0; c < 2; ++c) {
    for (std::uint32_t i = 0; i < n; ++i) out[c][offset + i] = static_cast<float>(buf_[c][i]);
  }
  if (metering_) meter(n);
  const auto& multiband = print_.stage<MultibandStage>();
  for (int b = 0; b < MultibandStage::kBands; ++b) {
    meters_.multiband_gr_db[b] = multiband.band_gain_reduction_db(b);
    meters_.multiband_level_db[b] = multiband.band_detector_level_db(b);
  }
  const auto& comp = print_.stage<CompStage>();
  meters_.comp_gr_db = comp.gain_reduction_db();
  meters_.comp_level_db = comp.detector_level_db();
  const auto& deesser = print_.stage<DeesserStage>();
  meters_.deesser_gr_db = deesser.gain_reduction_db();
  meters_.deesser_level_db = deesser.detector_level_db();
  meters_.limiter_gr_db = print_.stage<LimiterStage>().gain_reduction_db();

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
