#include "lacquer/dsp/engine.hpp"

#include <algorithm>
#include <cstring>

namespace lacquer::dsp {

namespace {
constexpr std::size_t kRetiredCapacity = 64;
constexpr double kCrossfadeMs = 10.0;
}  // namespace

Engine::Engine(const Schema& schema)
    : params_(schema), retired_(kRetiredCapacity), fade_scratch_(4 * std::size_t{kMaxPeriod}) {}

Engine::~Engine() {
  // The audio thread is stopped before the engine is destroyed.
  collect_garbage();
  delete pending_.exchange(nullptr);
  delete fading_out_;
  delete active_;
}

void Engine::rebuild(double sample_rate) { install(std::make_unique<Chain>(params_, sample_rate)); }

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

void Engine::process(const float* const in[2], float* const out[2], float* const mon[2],
                     std::uint32_t nframes) noexcept {
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

  for (std::uint32_t offset = 0; offset < nframes; offset += kMaxPeriod) {
    const std::uint32_t n = std::min(kMaxPeriod, nframes - offset);
    const float* slice_in[2] = {in[0] + offset, in[1] + offset};
    float* slice_out[2] = {out[0] + offset, out[1] + offset};
    float* slice_mon[2] = {mon[0] + offset, mon[1] + offset};
    run_slice(slice_in, slice_out, slice_mon, n);
  }

  if (active_ != nullptr) {
    meters_.write_slot() = active_->meters();
    meters_.publish();
  }
}

void Engine::run_slice(const float* const in[2], float* const out[2], float* const mon[2],
                       std::uint32_t n) noexcept {
  if (active_ == nullptr) {
    for (int c = 0; c < 2; ++c) {
      std::memset(out[c], 0, n * sizeof(float));
      std::memset(mon[c], 0, n * sizeof(float));
    }
    return;
  }
  if (fading_out_ == nullptr) {
    active_->process(in, out, mon, n);
    return;
  }

  // The old chain renders into scratch first because `in` may alias `out`.
  float* old_out[2] = {fade_scratch_.data(), fade_scratch_.data() + kMaxPeriod};
  float* old_mon[2] = {fade_scratch_.data() + 2 * kMaxPeriod, fade_scratch_.data() + 3 * kMaxPeriod};
  fading_out_->process(in, old_out, old_mon, n);
  active_->process(in, out, mon, n);
  for (std::uint32_t i = 0; i < n; ++i) {
    const float w = fade_position_ < fade_length_
                        ? static_cast<float>(fade_position_) / static_cast<float>(fade_length_)
                        : 1.0f;
    for (int c = 0; c < 2; ++c) {
      out[c][i] = w * out[c][i] + (1.0f - w) * old_out[c][i];
      mon[c][i] = w * mon[c][i] + (1.0f - w) * old_mon[c][i];
    }
    if (fade_position_ < fade_length_) ++fade_position_;
  }
  if (fade_position_ >= fade_length_) {
    retire(fading_out_);
    fading_out_ = nullptr;
  }
}

}  // namespace lacquer::dsp
