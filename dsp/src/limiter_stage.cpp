#include "lacquer/dsp/limiter_stage.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "lacquer/dsp/dynamics.hpp"

namespace lacquer::dsp {

namespace {

std::uint32_t ms_to_samples(double ms, double sample_rate) noexcept {
  return static_cast<std::uint32_t>(std::lround(ms * 1e-3 * sample_rate));
}

// Below this the released gain reduction (natural-log units) is treated as none: 1e-12 is
// -240 dB of gain error, and it stops the decay from running into denormals.
constexpr double kEnvFloorLn = -1e-12;

// dB of gain reduction per neper of log gain: 20 / ln 10.
constexpr double kDbPerNeper = 8.6858896380650365530;

}  // namespace

void LimiterStage::MovingAverage::allocate(std::uint32_t max_len) {
  ring.assign(std::bit_ceil(max_len), 0.0);
  mask = static_cast<std::uint32_t>(ring.size() - 1);
}

void LimiterStage::MovingAverage::fill(double v) noexcept {
  std::fill(ring.begin(), ring.end(), v);
  write = 0;
  since_refresh = 0;
  sum = v * len;
}

void LimiterStage::MovingAverage::set_length(std::uint32_t n) noexcept {
  len = n;
  sum = 0.0;
  for (std::uint32_t k = 1; k <= len; ++k) sum += ring[(write - k) & mask];
}

void LimiterStage::prepare(double sample_rate, std::uint32_t /*max_block*/) {
  sample_rate_ = sample_rate;
  detector_ = StereoTruePeakDetector(TruePeakDetector::Mode::kConservative, sample_rate);
  max_attack_ = std::max<std::uint32_t>(2, ms_to_samples(kMaxLookaheadMs, sample_rate));
  // Gain for sample p is read at s[p + gain_delay_]; s[t] <= r[p] holds for t in
  // [p + attack - 1, p + hold_len - 1], and the reach on both sides must fit in it.
  gain_delay_ = max_attack_ - 1 + reach_;
  latency_ = TruePeakDetector::kDelayFrames + gain_delay_;

  const std::uint32_t max_hold_len =
      max_attack_ + 2 * reach_ + ms_to_samples(kMaxHoldMs, sample_rate);
  const std::size_t dq_size = std::bit_ceil(std::size_t{max_hold_len} + 1);
  dq_value_.assign(dq_size, 1.0);
  dq_index_.assign(dq_size, 0);
  dq_mask_ = dq_size - 1;

  for (auto& a : attack_) a.allocate(max_attack_);

  // A chunk is written before it is read, so the ring holds the latency plus a chunk.
  const std::uint32_t delay_size = std::bit_ceil(latency_ + kChunk);
  for (int c = 0; c < 2; ++c) {
    wet_delay_[c].assign(delay_size, 0.0);
    dry_delay_[c].assign(delay_size, 0.0);
  }
  delay_mask_ = delay_size - 1;

  drive_.prepare(sample_rate, kSmoothingMs);
  ceiling_gain_.prepare(sample_rate, kSmoothingMs);
  wet_mix_.prepare(sample_rate, kSmoothingMs);
  reset(params_);
}

void LimiterStage::apply_timing() noexcept {
  const double look_ms = std::clamp(params_.lookahead_ms, kMinLookaheadMs, kMaxLookaheadMs);
  const std::uint32_t attack =
      std::clamp<std::uint32_t>(ms_to_samples(look_ms, sample_rate_), 2, max_attack_);
  // Two boxes whose combined support (len1 + len2 - 1) is the attack length.
  const std::uint32_t len1 = (attack + 1) / 2;
  attack_[0].set_length(len1);
  attack_[1].set_length(attack + 1 - len1);

  const double hold_ms = std::clamp(params_.hold_ms, 0.0, kMaxHoldMs);
  hold_len_ = max_attack_ + 2 * reach_ + ms_to_samples(hold_ms, sample_rate_);

  const double release_ms = std::max(params_.release_ms, kMinReleaseMs);
  release_coef_ = std::exp(-1.0 / (release_ms * 1e-3 * sample_rate_));
}

void LimiterStage::reset(const Params& p) noexcept {
  params_ = p;
  detector_.reset();
  dq_head_ = dq_tail_ = 0;
  sample_index_ = 0;
  env_ln_ = 0.0;
  last_hold_ = 1.0;
  last_hold_ln_ = 0.0;
  for (auto& a : attack_) a.fill(1.0);
  apply_timing();
  for (int c = 0; c < 2; ++c) {
    std::fill(wet_delay_[c].begin(), wet_delay_[c].end(), 0.0);
    std::fill(dry_delay_[c].begin(), dry_delay_[c].end(), 0.0);
  }
  delay_write_ = 0;
  drive_.reset(db_to_gain(p.drive_db));
  ceiling_gain_.reset(db_to_gain(p.ceiling_db));
  wet_mix_.reset(p.bypass ? 0.0 : 1.0);
  gr_db_ = 0.0;
  gain_ = 1.0;
}

void LimiterStage::set_params(const Params& p) noexcept {
  if (p.drive_db != params_.drive_db) drive_.set_target(db_to_gain(p.drive_db));
  if (p.ceiling_db != params_.ceiling_db) ceiling_gain_.set_target(db_to_gain(p.ceiling_db));
  if (p.bypass != params_.bypass) wet_mix_.set_target(p.bypass ? 0.0 : 1.0);
  const bool timing = p.lookahead_ms != params_.lookahead_ms || p.hold_ms != params_.hold_ms ||
                      p.release_ms != params_.release_ms;
  params_ = p;
  if (timing) apply_timing();
}

void LimiterStage::process(double* left, double* right, std::uint32_t n) noexcept {
  for (std::uint32_t offset = 0; offset < n; offset += kChunk) {
    process_chunk(left + offset, right + offset, std::min(kChunk, n - offset));
  }
  gr_db_ = gain_ < 1.0 ? -20.0 * std::log10(gain_) : 0.0;
}

void LimiterStage::process_chunk(double* left, double* right, std::uint32_t n) noexcept {
  // Detection, hold and release in the log domain; the delay lines take the input.
  double env_ln = env_ln_;
  std::uint32_t w = delay_write_;
  for (std::uint32_t i = 0; i < n; ++i) {
    const double drive = drive_.next();
    const double ceiling = ceiling_gain_.next();
    const double xl = left[i] * drive;
    const double xr = right[i] * drive;

    // Required gain for the detector's current sample (only readings above the ceiling
    // matter, which lets the detector skip interpolating quiet passages).
    const double peak = detector_.push_above(xl, xr, ceiling);
    const double need = peak > ceiling ? ceiling / peak : 1.0;

    // Sliding minimum over the hold window.
    while (dq_tail_ != dq_head_ && dq_value_[(dq_tail_ - 1) & dq_mask_] >= need) --dq_tail_;
    dq_value_[dq_tail_ & dq_mask_] = need;
    dq_index_[dq_tail_ & dq_mask_] = sample_index_;
    ++dq_tail_;
    while (dq_index_[dq_head_ & dq_mask_] + hold_len_ <= sample_index_) ++dq_head_;
    ++sample_index_;
    const double held = dq_value_[dq_head_ & dq_mask_];

    // Exponential release in the log domain, never above the held gain.
    if (held != last_hold_) {
      last_hold_ = held;
      last_hold_ln_ = held < 1.0 ? std::log(held) : 0.0;
    }
    env_ln *= release_coef_;
    if (env_ln > kEnvFloorLn) env_ln = 0.0;
    env_ln = std::min(env_ln, last_hold_ln_);
    released_[i] = env_ln;

    wet_delay_[0][w] = xl;
    wet_delay_[1][w] = xr;
    dry_delay_[0][w] = left[i];
    dry_delay_[1][w] = right[i];
    w = (w + 1) & delay_mask_;
  }
  env_ln_ = env_ln;

  // The released gains, four at a time (exactly 1 where there is no reduction).
  for (std::uint32_t i = 0; i < n; i += 4) {
    simd::f64x4 ln;
    std::memcpy(&ln, released_.data() + i, sizeof ln);
    const simd::f64x4 gain = reduction_db_to_gain(ln * -kDbPerNeper);
    std::memcpy(released_.data() + i, &gain, sizeof gain);
  }

  // Attack ramp, and the gain on the delayed signal.
  double* io[2] = {left, right};
  std::uint32_t r = (delay_write_ - latency_) & delay_mask_;
  double gain = gain_;
  for (std::uint32_t i = 0; i < n; ++i) {
    gain = attack_[1].push(attack_[0].push(released_[i]));
    const double mix = wet_mix_.next();
    for (int c = 0; c < 2; ++c) {
      const double wet = wet_delay_[c][r] * gain;
      const double dry = dry_delay_[c][r];
      io[c][i] = mix == 1.0 ? wet : dry + mix * (wet - dry);
    }
    r = (r + 1) & delay_mask_;
  }
  gain_ = gain;
  delay_write_ = w;
}

}  // namespace lacquer::dsp
