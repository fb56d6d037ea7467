#include "lacquer/dsp/loudness_meter.hpp"

#include <algorithm>
#include <cmath>
#include <new>

namespace lacquer::dsp {

namespace {

// Momentary mode only: libebur128 keeps 400 ms of K-weighted audio and gives the last
// 100 ms block's energy; short-term, LRA and the gating of integrated loudness come from
// those block energies here (its own LRA mode would sum 3 s of audio once a second inside
// add_frames, and its integrated histogram cannot be cleared without reallocating).
constexpr int kMode = EBUR128_MODE_M;

// libebur128 reports silence as -HUGE_VAL and errors as non-zero; both read as -inf.
template <typename Getter>
double lufs(ebur128_state* st, Getter get) noexcept {
  double value = 0.0;
  return get(st, &value) == EBUR128_SUCCESS && std::isfinite(value) ? value : -HUGE_VAL;
}

}  // namespace

LoudnessMeter::~LoudnessMeter() {
  if (state_ != nullptr) ebur128_destroy(&state_);
}

void LoudnessMeter::prepare(double sample_rate, std::uint32_t max_block) {
  sample_rate_ = sample_rate;
  max_block_ = max_block;
  interleaved_.assign(2 * std::size_t{max_block}, 0.0);
  // libebur128 defines 100 ms as (rate + 5) / 10 samples; the refresh follows it.
  hop_frames_ = static_cast<std::uint32_t>((static_cast<unsigned long>(sample_rate) + 5) / 10);
  reset();
}

void LoudnessMeter::reset() {
  if (state_ != nullptr) ebur128_destroy(&state_);
  state_ = ebur128_init(2, static_cast<unsigned long>(sample_rate_), kMode);
  if (state_ == nullptr) throw std::bad_alloc();
  until_refresh_ = hop_frames_;
  block_energy_.fill(0.0);
  next_block_ = 0;
  restart();
  reading_ = LoudnessReading{};
}

void LoudnessMeter::restart() noexcept {
  // The next 100 ms block starts here, so gating blocks hold only what follows.
  until_refresh_ = hop_frames_;
  blocks_seen_ = 0;
  gate_count_.fill(0);
  gate_energy_.fill(0.0);
  gate_energy_sum_ = 0.0;
  gate_blocks_ = 0;
  lra_histogram_.fill(0);
  lra_energy_sum_ = 0.0;
  lra_count_ = 0;
  reading_.integrated_lufs = -HUGE_VAL;
  reading_.lra_lu = 0.0;
  reading_.momentary_max_lufs = -HUGE_VAL;
  reading_.short_term_max_lufs = -HUGE_VAL;
}

void LoudnessMeter::process(const double* left, const double* right, std::uint32_t n) noexcept {
  while (n > 0) {
    const std::uint32_t chunk = std::min(n, until_refresh_);
    add(left, right, chunk);
    left += chunk;
    right += chunk;
    n -= chunk;
    until_refresh_ -= chunk;
    if (until_refresh_ == 0) {
      until_refresh_ = hop_frames_;
      refresh();
    }
  }
}

void LoudnessMeter::add(const double* left, const double* right, std::uint32_t n) noexcept {
  double* out = interleaved_.data();
  for (std::uint32_t i = 0; i < n; ++i) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  ebur128_add_frames_double(state_, out, n);
}

double LoudnessMeter::mean_energy_lufs(std::size_t blocks) const noexcept {
  double sum = 0.0;
  for (std::size_t k = 1; k <= blocks; ++k) {
    sum += block_energy_[(next_block_ + kShortTermBlocks - k) % kShortTermBlocks];
  }
  const double energy = sum / static_cast<double>(blocks);
  return energy > 0.0 ? 10.0 * std::log10(energy) + kLoudnessOffsetDb : -HUGE_VAL;
}

void LoudnessMeter::refresh() noexcept {
  // libebur128 sums its whole 3 s buffer for every short-term reading (0.2 ms per meter at
  // 48 kHz, a third of a 64-frame period); the last 100 ms block's energy costs a thirtieth
  // of that, and momentary and short-term are means of the latest 4 and 30 of them. Its API
  // gives the window as loudness only, so it goes back to energy here.
  const double block_lufs = lufs(state_, [](ebur128_state* st, double* out) {
    return ebur128_loudness_window(st, kBlockMs, out);
  });
  block_energy_[next_block_] =
      std::isfinite(block_lufs) ? std::pow(10.0, (block_lufs - kLoudnessOffsetDb) / 10.0) : 0.0;
  next_block_ = (next_block_ + 1) % kShortTermBlocks;
  if (blocks_seen_ < kShortTermBlocks) ++blocks_seen_;

  LoudnessReading& r = reading_;
  r.momentary_lufs = mean_energy_lufs(kMomentaryBlocks);
  r.short_term_lufs = mean_energy_lufs(kShortTermBlocks);
  // Integrated loudness changes only with a counted gating block.
  if (blocks_seen_ >= kMomentaryBlocks && add_gating_block()) r.integrated_lufs = integrated_lufs();
  // Tech 3342 takes short-term values of whole 3 s windows only; LRA changes only with them.
  if (blocks_seen_ == kShortTermBlocks && add_to_loudness_range(r.short_term_lufs)) {
    r.lra_lu = loudness_range_lu();
  }
  // Maxima of windows that hold only this measurement's audio (not the time before a
  // restart; before the first 400 ms a window is part silence and reads low anyway).
  if (blocks_seen_ >= kMomentaryBlocks) {
    r.momentary_max_lufs = std::max(r.momentary_max_lufs, r.momentary_lufs);
  }
  if (blocks_seen_ == kShortTermBlocks) {
    r.short_term_max_lufs = std::max(r.short_term_max_lufs, r.short_term_lufs);
  }
}

bool LoudnessMeter::add_gating_block() noexcept {
  double energy = 0.0;
  for (std::size_t k = 1; k <= kMomentaryBlocks; ++k) {
    energy += block_energy_[(next_block_ + kShortTermBlocks - k) % kShortTermBlocks];
  }
  energy /= static_cast<double>(kMomentaryBlocks);
  if (!(energy > 0.0)) return false;
  const double block_lufs = 10.0 * std::log10(energy) + kLoudnessOffsetDb;
  if (!(block_lufs >= kGateAbsoluteLufs)) return false;
  const double bin = std::floor((block_lufs - kGateAbsoluteLufs) / kLraBinLu);
  const auto b = static_cast<std::size_t>(std::min(bin, double{kLraBins - 1}));
  ++gate_count_[b];
  gate_energy_[b] += energy;
  gate_energy_sum_ += energy;
  ++gate_blocks_;
  return true;
}

double LoudnessMeter::integrated_lufs() const noexcept {
  if (gate_blocks_ == 0) return -HUGE_VAL;
  // Relative gate: 10 LU below the loudness of the blocks above the absolute gate. Bins
  // count whole, from the one whose centre is at or above the gate.
  const double gate_lufs =
      10.0 * std::log10(gate_energy_sum_ / static_cast<double>(gate_blocks_)) +
      kLoudnessOffsetDb + kGateRelativeLu;
  const double first_bin = std::ceil((gate_lufs - kGateAbsoluteLufs) / kLraBinLu - 0.5);
  double energy = 0.0;
  std::uint64_t blocks = 0;
  for (auto b = static_cast<std::size_t>(std::clamp(first_bin, 0.0, double{kLraBins}));
       b < kLraBins; ++b) {
    energy += gate_energy_[b];
    blocks += gate_count_[b];
  }
  if (blocks == 0) return -HUGE_VAL;
  return 10.0 * std::log10(energy / static_cast<double>(blocks)) + kLoudnessOffsetDb;
}

bool LoudnessMeter::add_to_loudness_range(double short_term_lufs) noexcept {
  if (!(short_term_lufs >= kLraAbsoluteGateLufs)) return false;
  const double bin = std::floor((short_term_lufs - kLraAbsoluteGateLufs) / kLraBinLu);
  ++lra_histogram_[static_cast<std::size_t>(std::min(bin, double{kLraBins - 1}))];
  lra_energy_sum_ += std::pow(10.0, short_term_lufs / 10.0);
  ++lra_count_;
  return true;
}

double LoudnessMeter::loudness_range_lu() const noexcept {
  // Relative gate: 20 LU below the power mean of the values above the absolute gate.
  const double gate_lufs =
      10.0 * std::log10(lra_energy_sum_ / static_cast<double>(lra_count_)) + kLraRelativeGateLu;
  const auto centre = [](std::size_t b) {
    return kLraAbsoluteGateLufs + (static_cast<double>(b) + 0.5) * kLraBinLu;
  };
  // The first bin whose centre is at or above the gate.
  const double first_bin = std::ceil((gate_lufs - kLraAbsoluteGateLufs) / kLraBinLu - 0.5);
  const auto first = static_cast<std::size_t>(std::clamp(first_bin, 0.0, double{kLraBins}));
  std::uint64_t gated = 0;
  for (std::size_t b = first; b < kLraBins; ++b) gated += lra_histogram_[b];
  if (gated == 0) return 0.0;
  // Tech 3342's percentiles: the values of rank round((n - 1) p) in ascending order.
  const auto percentile = [&](double p) {
    const auto rank = static_cast<std::uint64_t>(std::llround(static_cast<double>(gated - 1) * p));
    std::uint64_t below = 0;
    for (std::size_t b = first; b < kLraBins; ++b) {
      below += lra_histogram_[b];
      if (below > rank) return centre(b);
    }
    return centre(kLraBins - 1);
  };
  return percentile(kLraHighPercentile) - percentile(kLraLowPercentile);
}

}  // namespace lacquer::dsp
