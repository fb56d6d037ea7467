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

// Below this the released gain reduction (dB) is treated as none: 1e-10 dB is far below any
// audible or measurable gain error, and it stops the decay from running into denormals.
constexpr double kReleaseFloorDb = 1e-10;

// Added to every reduction the detector asks for: it covers the error of power_to_db()
// (1e-8 dB), so the gain applied is never above ceiling / peak.
constexpr double kReductionMarginDb = 1e-7;

// The exponential release of held reductions x[0 .. n) in place, never below them:
// r[i] = max(x[i], c r[i - 1]) from r[-1] = `last`; returns r[n - 1]. Four frames per step, so
// that the recursion from step to step is one product and one maximum instead of four: within
// a step r is the largest c^k x[i - k] (a scan in two shifts), and the step before reaches its
// frame k as c^(k+1) r. Values under the floor are 0; every reduction the detector asks for
// is at least kReductionMarginDb, so only a released tail ever falls there.
double release_held(double* x, std::uint32_t n, double c, double last) noexcept {
  using simd::f64x4;
  const f64x4 floor = simd::splat<f64x4>(kReleaseFloorDb);
  const f64x4 c1 = simd::splat<f64x4>(c);
  const f64x4 c2 = c1 * c1;
  const f64x4 carried = {c, c * c, c * c * c, (c * c) * (c * c)};
  std::uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    f64x4 r;
    std::memcpy(&r, x + i, sizeof r);
    r = simd::max(r, c1 * __builtin_shufflevector(r, f64x4{}, 4, 0, 1, 2));
    r = simd::max(r, c2 * __builtin_shufflevector(r, f64x4{}, 4, 4, 0, 1));
    r = simd::max(r, carried * last);
    r = simd::select<f64x4>(r < floor, f64x4{}, r);
    std::memcpy(x + i, &r, sizeof r);
    last = r[3];
  }
  for (; i < n; ++i) {
    last *= c;
    last = last < kReleaseFloorDb ? 0.0 : last;
    last = last > x[i] ? last : x[i];
    x[i] = last;
  }
  return last;
}

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

void LimiterStage::MovingAverage::process(const double* x, double* y, std::uint32_t n) noexcept {
  // The sums first (in locals: y could alias the members), then the divisions four at a
  // time: exactly sum / len per value.
  double s = sum;
  std::uint32_t at = write;
  std::uint32_t since = since_refresh;
  double* const slots = ring.data();
  const auto size = static_cast<std::uint32_t>(ring.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    const double v = x[i];
    s += v - slots[(at - len) & mask];
    slots[at] = v;
    at = (at + 1) & mask;
    if (++since == size) {
      since = 0;
      write = at;
      set_length(len);
      s = sum;
    }
    y[i] = s;
  }
  sum = s;
  write = at;
  since_refresh = since;
  const simd::f64x4 divisor = simd::splat<simd::f64x4>(static_cast<double>(len));
  std::uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    simd::f64x4 v;
    std::memcpy(&v, y + i, sizeof v);
    v /= divisor;
    std::memcpy(y + i, &v, sizeof v);
  }
  for (; i < n; ++i) y[i] /= static_cast<double>(len);
}

void LimiterStage::SlidingMax::allocate(std::uint32_t max_len) {
  ring.assign(std::bit_ceil(max_len), 0.0);
  mask = static_cast<std::uint32_t>(ring.size() - 1);
  suffix.assign(std::size_t{max_len} + 1, 0.0);
}

void LimiterStage::SlidingMax::clear() noexcept {
  std::fill(ring.begin(), ring.end(), 0.0);
  write = 0;
  set_length(len);
}

void LimiterStage::SlidingMax::set_length(std::uint32_t n) noexcept {
  len = n;
  end_block();
}

void LimiterStage::SlidingMax::process(double* x, std::uint32_t n) noexcept {
  // In locals: x could alias the members.
  double* const slots = ring.data();
  const double* tails = suffix.data() + 1;
  std::uint32_t at = write;
  std::uint32_t p = pos;
  double run = running;
  for (std::uint32_t i = 0; i < n; ++i) {
    const double v = x[i];
    slots[at] = v;
    at = (at + 1) & mask;
    run = v > run ? v : run;
    const double tail = tails[p];
    x[i] = tail > run ? tail : run;
    if (++p == len) {
      write = at;
      end_block();
      p = 0;
      run = 0.0;
    }
  }
  write = at;
  pos = p;
  running = run;
}

void LimiterStage::SlidingMax::end_block() noexcept {
  // The last `len` values, oldest first, are ring[write - len .. write).
  double m = 0.0;
  suffix[len] = 0.0;
  for (std::uint32_t k = len; k-- > 0;) {
    const double v = ring[(write - len + k) & mask];
    m = v > m ? v : m;
    suffix[k] = m;
  }
  pos = 0;
  running = 0.0;
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
  hold_.allocate(max_hold_len);

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
  const std::uint32_t hold_len = max_attack_ + 2 * reach_ + ms_to_samples(hold_ms, sample_rate_);
  if (hold_len != hold_.len) hold_.set_length(hold_len);

  const double release_ms = std::max(params_.release_ms, kMinReleaseMs);
  release_coef_ = std::exp(-1.0 / (release_ms * 1e-3 * sample_rate_));
}

void LimiterStage::reset(const Params& p) noexcept {
  params_ = p;
  detector_.reset();
  release_db_ = 0.0;
  for (auto& a : attack_) a.fill(1.0);
  apply_timing();
  hold_.clear();
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
  using simd::f64x4;
  // Detection: the peak of each driven frame; the delay lines take the input.
  std::uint32_t w = delay_write_;
  if (!drive_.ramping() && !ceiling_gain_.ramping()) {
    // Still drive and ceiling: the delay lines in the ring's two runs, four frames per
    // instruction, and the detector alone frame by frame.
    const double drive = drive_.current();
    const double ceiling = ceiling_gain_.current();
    const std::uint32_t first_run = std::min(n, delay_mask_ + 1 - w);
    const double* in[2] = {left, right};
    // Four frames per step, written out: no runtime check that the runs do not overlap.
    const auto copy_run = [drive](const double* from, double* wet, double* dry, std::uint32_t m) {
      std::uint32_t k = 0;
      for (; k + 4 <= m; k += 4) {
        f64x4 x;
        std::memcpy(&x, from + k, sizeof x);
        const f64x4 driven = x * drive;
        std::memcpy(wet + k, &driven, sizeof driven);
        std::memcpy(dry + k, &x, sizeof x);
      }
      for (; k < m; ++k) {
        wet[k] = from[k] * drive;
        dry[k] = from[k];
      }
    };
    for (int ch = 0; ch < 2; ++ch) {
      double* wet = wet_delay_[ch].data();
      double* dry = dry_delay_[ch].data();
      copy_run(in[ch], wet + w, dry + w, first_run);
      copy_run(in[ch] + first_run, wet, dry, n - first_run);
    }
    // Only readings above the ceiling matter, which lets the detector skip interpolating
    // quiet passages.
    for (std::uint32_t i = 0; i < n; ++i) {
      envelope_[i] = detector_.push_above(left[i] * drive, right[i] * drive, ceiling);
    }
    std::fill_n(ceiling_chunk_.begin(), n, ceiling);
    w = (w + n) & delay_mask_;
  } else {
    for (std::uint32_t i = 0; i < n; ++i) {
      const double drive = drive_.next();
      const double ceiling = ceiling_gain_.next();
      const double xl = left[i] * drive;
      const double xr = right[i] * drive;
      envelope_[i] = detector_.push_above(xl, xr, ceiling);
      ceiling_chunk_[i] = ceiling;
      wet_delay_[0][w] = xl;
      wet_delay_[1][w] = xr;
      dry_delay_[0][w] = left[i];
      dry_delay_[1][w] = right[i];
      w = (w + 1) & delay_mask_;
    }
  }

  // The reduction each peak asks for, four frames at a time: 20 log10(peak / ceiling) above
  // the ceiling, else 0.
  for (std::uint32_t i = 0; i < n; i += 4) {
    f64x4 peak, ceiling;
    std::memcpy(&peak, envelope_.data() + i, sizeof peak);
    std::memcpy(&ceiling, ceiling_chunk_.data() + i, sizeof ceiling);
    const f64x4 ratio = peak / ceiling;
    const f64x4 db =
        2.0 * power_to_db(simd::max(ratio, simd::splat<f64x4>(1.0))) + kReductionMarginDb;
    const f64x4 reduction = simd::select<f64x4>(ratio > 1.0, db, f64x4{});
    std::memcpy(envelope_.data() + i, &reduction, sizeof reduction);
  }

  // Hold, then the exponential release, never below the held reduction.
  hold_.process(envelope_.data(), n);
  release_db_ = release_held(envelope_.data(), n, release_coef_, release_db_);

  // The released gains (exactly 1 where there is no reduction), then the attack ramp.
  for (std::uint32_t i = 0; i < n; i += 4) {
    f64x4 db;
    std::memcpy(&db, envelope_.data() + i, sizeof db);
    const f64x4 gain = reduction_db_to_gain(db);
    std::memcpy(envelope_.data() + i, &gain, sizeof gain);
  }
  attack_[0].process(envelope_.data(), envelope_.data(), n);
  attack_[1].process(envelope_.data(), envelope_.data(), n);

  // The gain on the delayed signal.
  double* io[2] = {left, right};
  const std::uint32_t first = (delay_write_ - latency_) & delay_mask_;
  if (!wet_mix_.ramping() && wet_mix_.current() == 1.0) {
    // In at most two runs, where the ring wraps, so that each runs four frames per step.
    const std::uint32_t first_run = std::min(n, delay_mask_ + 1 - first);
    const double* gain = envelope_.data();
    const auto apply_run = [](const double* wet, const double* gains, double* out,
                              std::uint32_t m) {
      std::uint32_t k = 0;
      for (; k + 4 <= m; k += 4) {
        f64x4 x, g;
        std::memcpy(&x, wet + k, sizeof x);
        std::memcpy(&g, gains + k, sizeof g);
        const f64x4 y = x * g;
        std::memcpy(out + k, &y, sizeof y);
      }
      for (; k < m; ++k) out[k] = wet[k] * gains[k];
    };
    for (int ch = 0; ch < 2; ++ch) {
      const double* wet = wet_delay_[ch].data();
      apply_run(wet + first, gain, io[ch], first_run);
      apply_run(wet, gain + first_run, io[ch] + first_run, n - first_run);
    }
  } else {
    for (std::uint32_t i = 0, r = first; i < n; ++i, r = (r + 1) & delay_mask_) {
      const double mix = wet_mix_.next();
      for (int c = 0; c < 2; ++c) {
        const double wet = wet_delay_[c][r] * envelope_[i];
        const double dry = dry_delay_[c][r];
        io[c][i] = mix == 1.0 ? wet : dry + mix * (wet - dry);
      }
    }
  }
  gain_ = envelope_[n - 1];
  delay_write_ = w;
}

}  // namespace lacquer::dsp
