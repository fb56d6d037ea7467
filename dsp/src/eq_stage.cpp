#include "lacquer/dsp/eq_stage.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace lacquer::dsp {

namespace {

// Values the glides and designs can take (the log glide needs positive frequency and Q).
EqStage::Band sanitise(EqStage::Band band, double sample_rate) noexcept {
  band.freq_hz = std::clamp(band.freq_hz, 1.0, 0.49 * sample_rate);
  band.q = std::clamp(band.q, 0.025, 100.0);
  band.gain_db = std::clamp(band.gain_db, -48.0, 48.0);
  band.slope_db_oct = 12 * std::clamp((band.slope_db_oct + 6) / 12, 1, 4);
  return band;
}

bool same_structure(const EqStage::Band& a, const EqStage::Band& b) noexcept {
  if (a.type != b.type || a.mode != b.mode) return false;
  const bool pass = a.type == EqType::high_pass || a.type == EqType::low_pass;
  return !pass || a.slope_db_oct == b.slope_db_oct;
}

// Designs the sections of a band; returns how many there are.
int design_band(EqType type, int slope_db_oct, double sample_rate, double freq_hz, double q,
                double gain_db, BiquadCoeffs* out) noexcept {
  switch (type) {
    case EqType::bell:
      out[0] = design_biquad(BiquadShape::bell, sample_rate, freq_hz, q, gain_db);
      return 1;
    case EqType::low_shelf:
      out[0] = design_biquad(BiquadShape::low_shelf, sample_rate, freq_hz, q, gain_db);
      return 1;
    case EqType::high_shelf:
      out[0] = design_biquad(BiquadShape::high_shelf, sample_rate, freq_hz, q, gain_db);
      return 1;
    case EqType::notch:
      out[0] = design_biquad(BiquadShape::notch, sample_rate, freq_hz, q, 0.0);
      return 1;
    case EqType::high_pass:
    case EqType::low_pass: {
      const BiquadShape shape =
          type == EqType::high_pass ? BiquadShape::high_pass : BiquadShape::low_pass;
      const int order = slope_db_oct / 6;
      if (order == 2) {
        out[0] = design_biquad(shape, sample_rate, freq_hz, q, 0.0);
        return 1;
      }
      for (int k = 0; k < order / 2; ++k) {
        out[k] = design_biquad(shape, sample_rate, freq_hz, butterworth_section_q(order, k), 0.0);
      }
      return order / 2;
    }
  }
  return 0;
}


using Coeffs = VectorCoeffs<simd::f64x2>;
using Section = VectorSection<simd::f64x2>;

bool mid_side(ChannelMode mode) noexcept {
  return mode == ChannelMode::mid || mode == ChannelMode::side;
}

// The lanes a band filters (all bits set): of (left, right), or of (mid, side) for mid/side.
simd::i64x2 band_lanes(ChannelMode mode) noexcept {
  switch (mode) {
    case ChannelMode::left:
    case ChannelMode::mid:
      return simd::i64x2{-1, 0};
    case ChannelMode::right:
    case ChannelMode::side:
      return simd::i64x2{0, -1};
    case ChannelMode::stereo:
      break;
  }
  return simd::i64x2{-1, -1};
}

template <typename V>
constexpr V plus_minus() noexcept {
  if constexpr (sizeof(V) == sizeof(simd::f64x2)) {
    return V{1.0, -1.0};
  } else {
    return V{1.0, -1.0, 1.0, -1.0};
  }
}

// (mid, side) = ((l + r) / 2, (l - r) / 2) of (l, r), and (l, r) = (m + s, m - s) back; for
// one frame or two.
template <typename V>
V to_mid_side(V v) noexcept {
  return 0.5 * (v * plus_minus<V>() + simd::swap_pairs(v));
}
template <typename V>
V from_mid_side(V v) noexcept {
  return v * plus_minus<V>() + simd::swap_pairs(v);
}

// x[i] = f(x[i]) for i < n, two frames per step.
template <typename F>
void map_frames(simd::f64x2* x, std::uint32_t n, F f) noexcept {
  std::uint32_t i = 0;
  for (; i + 2 <= n; i += 2) {
    simd::f64x4 v;
    std::memcpy(&v, x + i, sizeof(v));
    v = f(v);
    std::memcpy(x + i, &v, sizeof(v));
  }
  if (i < n) x[i] = f(x[i]);
}

// x[i] = (left[i], right[i]) for i < n, four frames per step.
void interleave(const double* left, const double* right, simd::f64x2* x, std::uint32_t n) noexcept {
  std::uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    simd::f64x4 l, r;
    std::memcpy(&l, left + i, sizeof(l));
    std::memcpy(&r, right + i, sizeof(r));
    const simd::f64x4 first = __builtin_shufflevector(l, r, 0, 4, 1, 5);
    const simd::f64x4 second = __builtin_shufflevector(l, r, 2, 6, 3, 7);
    std::memcpy(x + i, &first, sizeof(first));
    std::memcpy(x + i + 2, &second, sizeof(second));
  }
  for (; i < n; ++i) x[i] = simd::load_frame(left, right, i);
}

// The inverse of interleave().
void deinterleave(const simd::f64x2* x, double* left, double* right, std::uint32_t n) noexcept {
  std::uint32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    simd::f64x4 first, second;
    std::memcpy(&first, x + i, sizeof(first));
    std::memcpy(&second, x + i + 2, sizeof(second));
    const simd::f64x4 l = __builtin_shufflevector(first, second, 0, 2, 4, 6);
    const simd::f64x4 r = __builtin_shufflevector(first, second, 1, 3, 5, 7);
    std::memcpy(left + i, &l, sizeof(l));
    std::memcpy(right + i, &r, sizeof(r));
  }
  for (; i < n; ++i) simd::store_frame(x[i], left, right, i);
}

// One section of a steady pass: its coefficients, the lanes it filters, its state.
struct Stage {
  const BiquadCoeffs* c;
  simd::i64x2 lanes;
  Section* state;
};

// Section pairs of a steady pass: up to six sections, their state in registers.
constexpr int kMaxPairs = 3;

// One step of the sections of a pass outside the pass's full stride (its first and last
// frames): section s takes frame t - s when that lies in [0, n), from the output section
// s - 1 gave the step before (`pipe`). Sections run from the last down, so each reads its
// input before the one in front of it overwrites it.
template <bool Masked>
void step_sections(const Stage* stage, int count, simd::f64x2* pipe, simd::f64x2* x,
                   std::uint32_t n, std::uint32_t t) noexcept {
  for (int s = count - 1; s >= 0; --s) {
    if (t < static_cast<std::uint32_t>(s) || t - static_cast<std::uint32_t>(s) >= n) continue;
    const simd::f64x2 in = s == 0 ? x[t] : pipe[s - 1];
    const simd::f64x2 y = stage[s].state->process(Coeffs::splat(*stage[s].c), in);
    pipe[s] = Masked ? simd::select(stage[s].lanes, y, in) : y;
    if (s == count - 1) x[t - static_cast<std::uint32_t>(s)] = pipe[s];
  }
}

// `count` (<= 2 kPairs) sections in series over x[0 .. n), as a wavefront: section s filters
// frame t - s at step t, so sections 2j and 2j + 1 run side by side as one f64x4 (an odd
// last section beside an identity), half the instructions of one f64x2 each, with the same
// arithmetic per section and so the same result. `Masked` when some section keeps one
// lane's input.
template <int kPairs, bool Masked>
void run_pass(const Stage* stage, int count, simd::f64x2* x, std::uint32_t n) noexcept {
  using simd::f64x4;
  simd::f64x2 pipe[2 * kPairs] = {};  // each section's last output
  const auto first_full = static_cast<std::uint32_t>(count - 1);
  std::uint32_t t = 0;
  for (; t < first_full; ++t) step_sections<Masked>(stage, count, pipe, x, n, t);
  if (t < n) {
    std::array<VectorCoeffs<f64x4>, kPairs> c;
    std::array<simd::i64x4, kPairs> lanes;
    std::array<VectorSection<f64x4>, kPairs> s;
    std::array<f64x4, kPairs> out;
    VectorSection<simd::f64x2> identity_state;
    for (int j = 0; j < kPairs; ++j) {
      const int a = 2 * j;
      const int b = a + 1;
      const bool pair = b < count;
      c[j].set_lanes(0, 2, *stage[a].c);
      c[j].set_lanes(2, 2, pair ? *stage[b].c : BiquadCoeffs{});
      const simd::i64x2 lanes_b = pair ? stage[b].lanes : simd::i64x2{-1, -1};
      lanes[j] = simd::i64x4{stage[a].lanes[0], stage[a].lanes[1], lanes_b[0], lanes_b[1]};
      s[j] = VectorSection<f64x4>::join(*stage[a].state, pair ? *stage[b].state : identity_state);
      out[j] = simd::join(pipe[a], pair ? pipe[b] : simd::f64x2{});
    }
    for (; t < n; ++t) {
      f64x4 in[kPairs];
      in[0] = simd::join(x[t], simd::low_half(out[0]));
#pragma GCC unroll 3
      for (int j = 1; j < kPairs; ++j) in[j] = __builtin_shufflevector(out[j - 1], out[j], 2, 3, 4, 5);
#pragma GCC unroll 3
      for (int j = 0; j < kPairs; ++j) {
        const f64x4 y = s[j].process(c[j], in[j]);
        out[j] = Masked ? simd::select(lanes[j], y, in[j]) : y;
      }
      x[t - first_full] = count % 2 == 0 ? simd::high_half(out[kPairs - 1])
                                         : simd::low_half(out[kPairs - 1]);
    }
    for (int j = 0; j < kPairs; ++j) {
      const int a = 2 * j;
      const int b = a + 1;
      s[j].split(*stage[a].state, b < count ? *stage[b].state : identity_state);
      pipe[a] = simd::low_half(out[j]);
      if (b < count) pipe[b] = simd::high_half(out[j]);
    }
  }
  for (; t < n + first_full; ++t) step_sections<Masked>(stage, count, pipe, x, n, t);
}

using PassFn = void (*)(const Stage*, int, simd::f64x2*, std::uint32_t) noexcept;
constexpr PassFn kPasses[2][kMaxPairs] = {
    {run_pass<1, false>, run_pass<2, false>, run_pass<3, false>},
    {run_pass<1, true>, run_pass<2, true>, run_pass<3, true>}};

// `count` sections of steady bands over x[0 .. n), on (mid, side) frames if `ms`: passes of
// whole pairs where they can be, as few as kMaxPairs allows, of nearly equal length.
void run_segment(const Stage* stages, int count, bool ms, simd::f64x2* x,
                 std::uint32_t n) noexcept {
  if (count == 0) return;
  if (ms) map_frames(x, n, [](auto v) noexcept { return to_mid_side(v); });
  const int pairs = (count + 1) / 2;
  const int passes = (pairs + kMaxPairs - 1) / kMaxPairs;
  for (int p = 0, done_pairs = 0; p < passes; ++p) {
    const int size_pairs = (pairs - done_pairs) / (passes - p);
    const int first = 2 * done_pairs;
    const int size = std::min(2 * size_pairs, count - first);
    bool masked = false;
    for (int k = first; k < first + size; ++k) {
      masked = masked || stages[k].lanes[0] == 0 || stages[k].lanes[1] == 0;
    }
    kPasses[masked][size_pairs - 1](stages + first, size, x, n);
    done_pairs += size_pairs;
  }
  if (ms) map_frames(x, n, [](auto v) noexcept { return from_mid_side(v); });
}

}  // namespace

void EqStage::prepare(double sample_rate, std::uint32_t max_block) {
  sample_rate_ = sample_rate;
  bypass_.prepare(sample_rate, max_block);
  frames_.assign(max_block, simd::f64x2{});
  for (BandState& b : bands_) {
    b.glide_.prepare(sample_rate, kGlideMs);
    b.mix_.prepare(sample_rate, kBandFadeMs);
  }
  reset(Params{});
}

void EqStage::reset(const Params& p) noexcept {
  params_ = p;
  bypass_.reset(p.bypass);
  reset_bands(p);
}

void EqStage::reset_bands(const Params& p) noexcept {
  for (int i = 0; i < kBands; ++i) {
    BandState& b = bands_[i];
    b.want_ = sanitise(p.bands[i], sample_rate_);
    switch_band(b);
    b.mix_.reset(b.live_.enabled ? 1.0 : 0.0);
  }
  until_redesign_ = 0;
}

void EqStage::set_params(const Params& p) noexcept {
  if (p == params_) return;
  params_ = p;
  if (bypass_.set_bypass(p.bypass)) {
    reset_bands(p);
    return;
  }
  for (int i = 0; i < kBands; ++i) update_band(bands_[i], sanitise(p.bands[i], sample_rate_));
}

void EqStage::update_band(BandState& b, const Band& want) noexcept {
  b.want_ = want;
  b.glide_.set_target(want.freq_hz, want.q, want.gain_db);
  if (!want.enabled) {
    b.switching_ = false;
    b.mix_.set_target(0.0);
  } else if (silent(b)) {
    // A silent band's state is stale: start it afresh at the wanted values.
    switch_band(b);
  } else if (same_structure(b.live_, want)) {
    b.switching_ = false;
    b.live_.enabled = true;
    b.mix_.set_target(1.0);
  } else {
    b.switching_ = true;
    b.mix_.set_target(0.0);
  }
}

void EqStage::switch_band(BandState& b) noexcept {
  b.live_ = b.want_;
  b.switching_ = false;
  b.glide_.reset(b.live_.freq_hz, b.live_.q, b.live_.gain_db);
  redesign(b, true);
  for (VectorSection<simd::f64x2>& s : b.state_) s.reset();
  b.mid_side_ = mid_side(b.live_.mode);
  if (b.live_.enabled) b.mix_.set_target(1.0);
}

void EqStage::redesign(BandState& b, bool jump) noexcept {
  std::array<BiquadCoeffs, kMaxSections> c;
  b.sections_ = design_band(b.live_.type, b.live_.slope_db_oct, sample_rate_, b.glide_.freq_hz(),
                            b.glide_.q(), b.glide_.gain_db(), c.data());
  for (int s = 0; s < b.sections_; ++s) {
    if (jump) {
      b.coeffs_[s].reset(c[s]);
    } else {
      b.coeffs_[s].set_target(c[s], FilterGlide::kBlock);
    }
  }
}

bool EqStage::steady() const noexcept {
  for (const BandState& b : bands_) {
    if (!silent(b) && (moving(b) || b.glide_.gliding())) return false;
  }
  return true;
}

void EqStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  // Bands only fall silent while processing; with none audible the block passes untouched.
  const bool active = std::any_of(bands_.begin(), bands_.end(),
                                  [](const BandState& b) { return !silent(b); });
  simd::f64x2* x = frames_.data();
  if (active) {
    interleave(left, right, x, n);
  }
  std::uint32_t done = 0;
  while (done < n) {
    if (until_redesign_ == 0) {
      for (BandState& b : bands_) {
        if (!silent(b) && b.glide_.advance()) redesign(b, false);
      }
      until_redesign_ = FilterGlide::kBlock;
    }
    // While nothing moves the redesign points pass without effect, so one chunk runs past
    // them; the countdown keeps its phase.
    const std::uint32_t chunk = steady() ? n - done : std::min(n - done, until_redesign_);
    if (active) process_bands(x + done, chunk);
    done += chunk;
    until_redesign_ = chunk <= until_redesign_
                          ? until_redesign_ - chunk
                          : (FilterGlide::kBlock - (chunk - until_redesign_) % FilterGlide::kBlock) %
                                FilterGlide::kBlock;
  }
  if (active) {
    deinterleave(x, left, right, n);
  }
  bypass_.mix(left, right, n);
}

void EqStage::process_bands(simd::f64x2* x, std::uint32_t n) noexcept {
  std::array<int, kBands> run;  // steady bands not yet processed, in order
  int count = 0;
  for (int i = 0; i < kBands; ++i) {
    BandState& b = bands_[i];
    if (silent(b)) continue;
    if (!moving(b)) {
      run[count++] = i;
      continue;
    }
    process_steady(run.data(), run.data() + count, x, n);
    count = 0;
    process_moving(b, x, n);
    if (b.switching_ && silent(b)) switch_band(b);
  }
  process_steady(run.data(), run.data() + count, x, n);
}

void EqStage::process_moving(BandState& b, simd::f64x2* x, std::uint32_t n) noexcept {
  const int sections = b.sections_;
  const bool fading = b.mix_.ramping();
  const bool ms = b.mid_side_;
  const simd::i64x2 lanes = band_lanes(b.live_.mode);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::array<Coeffs, kMaxSections> c;
    for (int s = 0; s < sections; ++s) c[s] = Coeffs::splat(b.coeffs_[s].next());
    const simd::f64x2 in = ms ? to_mid_side(x[i]) : x[i];
    simd::f64x2 y = in;
    for (int s = 0; s < sections; ++s) y = b.state_[s].process(c[s], y);
    // The band faded against its input while mix_ moves.
    if (fading) y = in + b.mix_.next() * (y - in);
    y = simd::select(lanes, y, in);
    x[i] = ms ? from_mid_side(y) : y;
  }
}

void EqStage::set_mid_side(BandState& b, bool ms) noexcept {
  if (b.mid_side_ == ms) return;
  for (int s = 0; s < b.sections_; ++s) {
    if (ms) {
      b.state_[s].map_state([](simd::f64x2 v) noexcept { return to_mid_side(v); });
    } else {
      b.state_[s].map_state([](simd::f64x2 v) noexcept { return from_mid_side(v); });
    }
  }
  b.mid_side_ = ms;
}

void EqStage::process_steady(const int* first, const int* last, simd::f64x2* x,
                             std::uint32_t n) noexcept {
  // The sections of consecutive bands run in passes of up to 2 kMaxPairs over the chunk, so that
  // their recursions overlap. A stereo band filters (left, right) and (mid, side) alike and
  // joins the frames of the bands around it; the frames change only between a left/right
  // band and a mid/side band.
  while (first != last) {
    bool ms = false;
    bool fixed = false;  // a left/right or mid/side band has chosen `ms`
    const int* end = first;
    for (; end != last; ++end) {
      const ChannelMode mode = bands_[*end].live_.mode;
      if (mode == ChannelMode::stereo) continue;
      if (fixed && mid_side(mode) != ms) break;
      ms = mid_side(mode);
      fixed = true;
    }
    std::array<Stage, kBands * kMaxSections> stages;
    int count = 0;
    for (; first != end; ++first) {
      BandState& b = bands_[*first];
      if (b.live_.mode == ChannelMode::stereo) set_mid_side(b, ms);
      const simd::i64x2 lanes = band_lanes(b.live_.mode);
      for (int s = 0; s < b.sections_; ++s) {
        stages[count++] = {&b.coeffs_[s].current(), lanes, &b.state_[s]};
      }
    }
    run_segment(stages.data(), count, ms, x, n);
  }
}

}  // namespace lacquer::dsp
