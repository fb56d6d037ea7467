#include "lacquer/dsp/engine.hpp"

#include <algorithm>
#include <cstring>

namespace lacquer::dsp {

namespace {
constexpr std::size_t kRetiredCapacity = 64;
constexpr double kCrossfadeMs = 10.0;
}  // namespace

Engine::Engine(const Schema& schema)
    : params_(schema),
      snapshot_params_{{ParamStore(schema), ParamStore(schema)}},
      compare_id_(schema.id("/monitor/compare")),
      snapshot_scratch_(4 * std::size_t{kMaxPeriod}),
      retired_(kRetiredCapacity),
      fade_scratch_(6 * std::size_t{kMaxPeriod}) {}

Engine::~Engine() {
  // The audio thread is stopped before the engine is destroyed.
  collect_garbage();
  delete pending_.exchange(nullptr);
  delete fading_out_;
  delete active_;
  for (int k = 0; k < 2; ++k) {
    delete snapshot_pending_[k].exchange(nullptr);
    delete snapshot_active_[k];
  }
}

void Engine::rebuild(double sample_rate) {
  sample_rate_.store(sample_rate, std::memory_order_relaxed);
  install(std::make_unique<Chain>(params_, sample_rate));
  if (snapshots_started_) restart_snapshots();
}

void Engine::restart_snapshots() {
  const double rate = sample_rate_.load(std::memory_order_relaxed);
  if (rate <= 0.0) return;
  snapshots_started_ = true;
  for (int k = 0; k < 2; ++k) {
    auto chain = std::make_unique<Chain>(snapshot_params_[k], rate);
    delete snapshot_pending_[k].exchange(chain.release(), std::memory_order_acq_rel);
  }
  collect_garbage();
}

void Engine::install(std::unique_ptr<Chain> chain) {
  latency_frames_.store(chain->latency_frames(), std::memory_order_release);
  // A chain still pending was never heard; it is replaced and freed here.
  delete pending_.exchange(chain.release(), std::memory_order_acq_rel);
  collect_garbage();
}

std::size_t Engine::collect_garbage() {
  std::size_t freed = 0;
  while (const auto chain = retired_.pop()) {
    delete *chain;
    ++freed;
  }
  return freed;
}

void Engine::retire(Chain* chain) noexcept {
  // Capacity is checked before a swap, so this push always succeeds.
  if (chain != nullptr) retired_.push(chain);
}

void Engine::take_pending() noexcept {
  // A snapshot chain swaps without a crossfade: the monitors fade between sources already.
  for (int k = 0; k < 2; ++k) {
    if (snapshot_pending_[k].load(std::memory_order_relaxed) == nullptr ||
        retired_.capacity() - retired_.size() < 1) {
      continue;
    }
    if (Chain* next = snapshot_pending_[k].exchange(nullptr, std::memory_order_acq_rel)) {
      retire(snapshot_active_[k]);
      snapshot_active_[k] = next;
    }
  }
  // Only one pending chain and one fading chain can be retired per swap; with the ring full
  // the swap waits a period for the control thread to collect.
  if (pending_.load(std::memory_order_relaxed) != nullptr &&
      retired_.capacity() - retired_.size() >= 2) {
    if (Chain* next = pending_.exchange(nullptr, std::memory_order_acq_rel)) {
      retire(fading_out_);
      fading_out_ = active_;
      active_ = next;
      fade_position_ = 0;
      fade_length_ = std::max<std::uint32_t>(
          1, static_cast<std::uint32_t>(next->sample_rate() * kCrossfadeMs * 1e-3));
      swaps_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

bool Engine::comparing_snapshots() const noexcept {
  const auto compare = static_cast<MonitorPath::Compare>(params_.get(compare_id_));
  return (compare == MonitorPath::Compare::a || compare == MonitorPath::Compare::b) &&
         snapshot_active_[0] != nullptr && snapshot_active_[1] != nullptr;
}

void Engine::process(const float* const in[2], float* const out[2], float* const mon[2],
                     std::uint32_t nframes, const MonitorIo* io) noexcept {
  take_pending();
  const std::uint32_t restarts = meter_restarts_.load(std::memory_order_acquire);
  if (restarts != meter_restarts_done_ && active_ != nullptr) {
    active_->restart_meters();
    meter_restarts_done_ = restarts;
  }
  for (std::uint32_t offset = 0; offset < nframes; offset += kMaxPeriod) {
    const std::uint32_t n = std::min(kMaxPeriod, nframes - offset);
    const float* slice_in[2] = {in[0] + offset, in[1] + offset};
    float* slice_out[2] = {out[0] + offset, out[1] + offset};
    float* slice_mon[2] = {mon[0] + offset, mon[1] + offset};
    Chain::MonitorFeeds feeds;
    if (io != nullptr) {
      for (int c = 0; c < 2; ++c) {
        if (io->reference[0] != nullptr) feeds.reference[c] = io->reference[c] + offset;
        if (io->listen[0] != nullptr) feeds.listen[c] = io->listen[c] + offset;
      }
      feeds.reference_loudness = io->reference_loudness;
    }
    run_slice(slice_in, slice_out, slice_mon, n, feeds);
  }

  if (active_ != nullptr) {
    meters_.write_slot() = active_->meters();
    meters_.publish();
  }
}

void Engine::run_slice(const float* const in[2], float* const out[2], float* const mon[2],
                       std::uint32_t n, Chain::MonitorFeeds& feeds) noexcept {
  if (active_ == nullptr) {
    for (int c = 0; c < 2; ++c) {
      std::memset(out[c], 0, n * sizeof(float));
      std::memset(mon[c], 0, n * sizeof(float));
      if (feeds.listen[c] != nullptr) std::memset(feeds.listen[c], 0, n * sizeof(float));
    }
    return;
  }
  // The snapshot chains run first because `in` may alias `out`.
  if (comparing_snapshots()) {
    for (int k = 0; k < 2; ++k) {
      float* print[2] = {snapshot_scratch_.data() + (2 * k) * std::size_t{kMaxPeriod},
                         snapshot_scratch_.data() + (2 * k + 1) * std::size_t{kMaxPeriod}};
      snapshot_active_[k]->process(in, print, nullptr, n);
      feeds.chains[k] = snapshot_active_[k];
      feeds.print[k] = {print[0], print[1]};
    }
  }
  if (fading_out_ == nullptr) {
    active_->process(in, out, mon, n, &feeds);
    return;
  }

  // The old chain renders into scratch first because `in` may alias `out`.
  float* old_out[2] = {fade_scratch_.data(), fade_scratch_.data() + kMaxPeriod};
  float* old_mon[2] = {fade_scratch_.data() + 2 * kMaxPeriod, fade_scratch_.data() + 3 * kMaxPeriod};
  Chain::MonitorFeeds old_feeds = feeds;
  const bool listening = feeds.listen[0] != nullptr;
  if (listening) {
    old_feeds.listen = {fade_scratch_.data() + 4 * kMaxPeriod, fade_scratch_.data() + 5 * kMaxPeriod};
  }
  fading_out_->process(in, old_out, old_mon, n, &old_feeds);
  active_->process(in, out, mon, n, &feeds);
  for (std::uint32_t i = 0; i < n; ++i) {
    const float w = fade_position_ < fade_length_
                        ? static_cast<float>(fade_position_) / static_cast<float>(fade_length_)
                        : 1.0f;
    for (int c = 0; c < 2; ++c) {
      out[c][i] = w * out[c][i] + (1.0f - w) * old_out[c][i];
      mon[c][i] = w * mon[c][i] + (1.0f - w) * old_mon[c][i];
      if (listening) feeds.listen[c][i] = w * feeds.listen[c][i] + (1.0f - w) * old_feeds.listen[c][i];
    }
    if (fade_position_ < fade_length_) ++fade_position_;
  }
  if (fade_position_ >= fade_length_) {
    retire(fading_out_);
    fading_out_ = nullptr;
  }
}

}  // namespace lacquer::dsp
