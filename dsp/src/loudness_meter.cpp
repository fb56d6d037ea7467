#include "lacquer/dsp/loudness_meter.hpp"

#include <algorithm>
#include <cmath>
#include <new>

namespace lacquer::dsp {

namespace {

constexpr int kMode = EBUR128_MODE_M | EBUR128_MODE_S | EBUR128_MODE_I | EBUR128_MODE_LRA |
                      EBUR128_MODE_HISTOGRAM;

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
  reading_ = LoudnessReading{};
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

void LoudnessMeter::refresh() noexcept {
  LoudnessReading& r = reading_;
  r.momentary_lufs = lufs(state_, ebur128_loudness_momentary);
  r.short_term_lufs = lufs(state_, ebur128_loudness_shortterm);
  r.integrated_lufs = lufs(state_, ebur128_loudness_global);
  const double lra = lufs(state_, ebur128_loudness_range);
  r.lra_lu = std::isfinite(lra) ? lra : 0.0;
  r.momentary_max_lufs = std::max(r.momentary_max_lufs, r.momentary_lufs);
  r.short_term_max_lufs = std::max(r.short_term_max_lufs, r.short_term_lufs);
}

}  // namespace lacquer::dsp
