#include "signal_pass.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <new>
#include <cmath>
#include <cstring>
#include <numbers>

#include "lacquer/dsp/simd.hpp"

namespace lacquer::analysis::detail {

namespace simd = dsp::simd;
using simd::f32x8;
using simd::f64x2;

namespace {

// 16-bit full scale on the positive side (32767 / 32768) and anything above.
constexpr float kFullScale = 0.99996f;
// Identical consecutive samples this loud are a flat top (clipped before a gain change).
constexpr float kFlatLevel = 0.5f;
// A step this large (-60 dBFS) just before a flat top makes it a clip.
constexpr float kFlatStep = 1e-3f;
constexpr double kLowBandHz = 150.0;

f32x8 load8(const float* p) noexcept {
  f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

f32x8 abs8(f32x8 v) noexcept { return simd::select<f32x8>(v < 0.0f, -v, v); }

float hmax(f32x8 v) noexcept {
  float m = v[0];
  for (int k = 1; k < 8; ++k) m = std::max(m, v[k]);
  return m;
}

double hsum(f32x8 v) noexcept {
  double s = 0.0;
  for (int k = 0; k < 8; ++k) s += static_cast<double>(v[k]);
  return s;
}

float max_abs(const float* x, std::size_t b, std::size_t e) noexcept {
  f32x8 m{};
  std::size_t n = b;
  for (; n + 8 <= e; n += 8) m = simd::max(m, abs8(load8(x + n)));
  float r = hmax(m);
  for (; n < e; ++n) r = std::max(r, std::fabs(x[n]));
  return r;
}

// BS.1770-4 K-weighting at any rate: the pre-filter (high shelf) and the RLB high-pass,
// from their analogue prototypes (as libebur128 derives them).
PairSection k_shelf(double fs) {
  const double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
  const double k = std::tan(std::numbers::pi * f0 / fs);
  const double vh = std::pow(10.0, gain_db / 20.0);
  const double vb = std::pow(vh, 0.4996667741545416);
  const double a0 = 1.0 + k / q + k * k;
  return {(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
          2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0};
}

PairSection k_highpass(double fs) {
  const double f0 = 38.13547087602444, q = 0.5003270373238773;
  const double k = std::tan(std::numbers::pi * f0 / fs);
  const double a0 = 1.0 + k / q + k * k;
  return {1.0, -2.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0};
}

PairSection low_pass(double fs, double f0, double q) {
  const double w = 2.0 * std::numbers::pi * f0 / fs;
  const double alpha = std::sin(w) / (2.0 * q);
  const double c = std::cos(w);
  const double a0 = 1.0 + alpha;
  return {(1.0 - c) / 2.0 / a0, (1.0 - c) / a0, (1.0 - c) / 2.0 / a0, -2.0 * c / a0,
          (1.0 - alpha) / a0};
}

// Runs two sections in series over frames [b, e) of a channel pair; calls out(n, y).
template <class Out>
void run_pair(PairSection& s1, PairSection& s2, const float* x0, const float* x1, std::size_t b,
              std::size_t e, Out&& out) {
  f64x2 p1 = {s1.s1[0], s1.s1[1]}, p2 = {s1.s2[0], s1.s2[1]};
  f64x2 q1 = {s2.s1[0], s2.s1[1]}, q2 = {s2.s2[0], s2.s2[1]};
  for (std::size_t n = b; n < e; ++n) {
    const f64x2 x = {x0[n], x1[n]};
    const f64x2 y = s1.b0 * x + p1;
    p1 = s1.b1 * x - s1.a1 * y + p2;
    p2 = s1.b2 * x - s1.a2 * y;
    const f64x2 z = s2.b0 * y + q1;
    q1 = s2.b1 * y - s2.a1 * z + q2;
    q2 = s2.b2 * y - s2.a2 * z;
    out(n, z);
  }
  s1.s1[0] = p1[0], s1.s1[1] = p1[1], s1.s2[0] = p2[0], s1.s2[1] = p2[1];
  s2.s1[0] = q1[0], s2.s1[1] = q1[1], s2.s2[0] = q2[0], s2.s2[1] = q2[1];
}

}  // namespace

SignalPass::SignalPass(double sample_rate, int channels, std::size_t frames_hint, int clip_run)
    : spectrum(sample_rate),
      sample_rate_(sample_rate),
      channels_(channels),
      scanner_(sample_rate),
      clip_run_(clip_run),
      silence_level_(static_cast<float>(std::pow(10.0, kSilenceDbfs / 20.0))) {
  const auto rate = static_cast<std::size_t>(std::lround(sample_rate));
  sub_blocks_ = (frames_hint * 100 + rate - 1) / rate;
  const std::size_t k = sub_blocks_;
  k_energy.assign(k, 0.0);
  true_peak.assign(k, 0.0f);
  wave_min.assign(k, 0.0f);
  wave_max.assign(k, 0.0f);
  if (channels == 2) {
    for (auto* v : {&lr, &ll, &rr, &lr_low, &ll_low, &rr_low}) v->assign(k, 0.0);
  }
  cells.reserve(k * kCellsPerSubBlock);
  const auto nc = static_cast<std::size_t>(channels);
  click_cells.assign(nc, std::vector<ClickCell>(k * kClickCellsPerSubBlock));
  sum.assign(nc, 0.0);
  sum_sq.assign(nc, 0.0);
  sample_peak.assign(nc, 0.0f);
  channel_true_peak.assign(nc, 0.0f);
  run_.assign(nc, RunState{});
  // BS.1770 weights: 1 for front channels, 1.41 for surrounds, 0 for LFE (5.1 in WAV order
  // L R C LFE Ls Rs; 5.0 as L R C Ls Rs).
  weight_.assign(nc, 1.0);
  if (channels == 6) weight_ = {1.0, 1.0, 1.0, 0.0, 1.41, 1.41};
  if (channels == 5) weight_ = {1.0, 1.0, 1.0, 1.41, 1.41};
  for (std::size_t c = 0; c < nc; c += 2) {
    k_shelf_.push_back(k_shelf(sample_rate));
    k_highpass_.push_back(k_highpass(sample_rate));
  }
  // Fourth-order Butterworth as two sections.
  low_[0] = low_pass(sample_rate, kLowBandHz, 0.5411961001461969);
  low_[1] = low_pass(sample_rate, kLowBandHz, 1.3065629648763764);
  if (channels == 2) {
    quad_.emplace(k_shelf_[0], k_highpass_[0], low_[0], low_[1]);
  }
  mono_.resize(rate / 100 + 2);
  // The window: kPad frames of history, up to a second of frames, kPad of lookahead.
  window_frames_ = rate + rate / 100 + 4 * TruePeakScanner::kPad;
  win_.assign(static_cast<std::size_t>(channels), std::vector<float>(window_frames_ + TruePeakScanner::kPad, 0.0f));
}

std::size_t SignalPass::start(std::size_t k) const noexcept {
  const auto rate = static_cast<std::size_t>(std::lround(sample_rate_));
  return std::min(frames_, k * rate / 100);
}

std::size_t SignalPass::cell_start(std::size_t j) const noexcept {
  const auto rate = static_cast<std::size_t>(std::lround(sample_rate_));
  return std::min(frames_, j * rate / 1000);
}

std::size_t SignalPass::click_cell_start(std::size_t j) const noexcept {
  const auto rate = static_cast<std::size_t>(std::lround(sample_rate_));
  return std::min(frames_, j * rate / (100 * kClickCellsPerSubBlock));
}

void SignalPass::sub_block(std::size_t k) {
  // Absolute frames [b0, e0) of the sub-block; b, e index the window (frame base_ at 0).
  const std::size_t b0 = start(k), e0 = std::min(start(k + 1), frames_);
  const std::size_t off = base_, b = b0 - off, e = e0 - off;
  const int nch = channels_;
  ensure(k);

  // Loudness: K-weighted energy, channel pairs as one vector; for stereo, with the low band.
  double energy = 0.0;
  if (nch == 2) {
    simd::f64x4 squares;
    double cross = 0.0;
    quad_->run(win(0), win(1), b, e, squares, cross);
    energy = weight_[0] * squares[0] + weight_[1] * squares[1];
    ll_low[k] = squares[2];
    rr_low[k] = squares[3];
    lr_low[k] = cross;
  }
  for (int c = 0; nch != 2 && c < nch; c += 2) {
    const float* x0 = win(c);
    const bool pair = c + 1 < nch;
    const float* x1 = pair ? win(c + 1) : x0;
    f64x2 acc = {0.0, 0.0};
    const auto p = static_cast<std::size_t>(c / 2);
    run_pair(k_shelf_[p], k_highpass_[p], x0, x1, b, e, [&](std::size_t, f64x2 z) { acc += z * z; });
    energy += weight_[static_cast<std::size_t>(c)] * acc[0];
    if (pair) energy += weight_[static_cast<std::size_t>(c + 1)] * acc[1];
  }
  k_energy[k] = energy;

  // Stereo: correlation sums (the low band's came with the loudness).
  if (nch == 2) {
    const float* l = win(0);
    const float* r = win(1);
    f32x8 slr{}, sll{}, srr{};
    std::size_t n = b;
    for (; n + 8 <= e; n += 8) {
      const f32x8 a = load8(l + n), c = load8(r + n);
      slr += a * c;
      sll += a * a;
      srr += c * c;
    }
    double dlr = hsum(slr), dll = hsum(sll), drr = hsum(srr);
    for (; n < e; ++n) {
      dlr += static_cast<double>(l[n]) * static_cast<double>(r[n]);
      dll += static_cast<double>(l[n]) * static_cast<double>(l[n]);
      drr += static_cast<double>(r[n]) * static_cast<double>(r[n]);
    }
    lr[k] = dlr;
    ll[k] = dll;
    rr[k] = drr;
  }

  // Per channel: sums, peaks, true peak, click cells, clip runs.
  float tp_all = 0.0f;
  for (int c = 0; c < nch; ++c) {
    const auto ci = static_cast<std::size_t>(c);
    const float* x = win(c);
    f32x8 s1{}, s2{}, pk{};
    std::size_t n = b;
    for (; n + 8 <= e; n += 8) {
      const f32x8 v = load8(x + n);
      s1 += v;
      s2 += v * v;
      pk = simd::max(pk, abs8(v));
    }
    double d1 = hsum(s1), d2 = hsum(s2);
    float peak = hmax(pk);
    for (; n < e; ++n) {
      d1 += static_cast<double>(x[n]);
      d2 += static_cast<double>(x[n]) * static_cast<double>(x[n]);
      peak = std::max(peak, std::fabs(x[n]));
    }
    sum[ci] += d1;
    sum_sq[ci] += d2;
    sample_peak[ci] = std::max(sample_peak[ci], peak);

    const float tp = scanner_.max_abs(x, b, e);
    channel_true_peak[ci] = std::max(channel_true_peak[ci], tp);
    tp_all = std::max(tp_all, tp);
    if (tp > 1.0f) {
      bool found = false;
      scanner_.for_each_inter_sample_over(x, b, e, 1.0f, [&](std::size_t i, int, float) {
        if (!found && std::fabs(x[i]) <= 1.0f && std::fabs(x[i + 1]) <= 1.0f) {
          inter_sample_overs.emplace_back(i + off, c);
          found = true;
        }
      });
    }

    // Click cells: the residual of each sample against a cubic through its two neighbours
    // on either side (zero for any cubic, so the music's low and mid range cancels).
    for (std::size_t j = k * kClickCellsPerSubBlock; j < (k + 1) * kClickCellsPerSubBlock; ++j) {
      const std::size_t cb = click_cell_start(j) - off, ce = std::min(click_cell_start(j + 1), frames_) - off;
      f32x8 he{}, xe{}, hm{};
      const f32x8 four = simd::splat<f32x8>(4.0), sixth = simd::splat<f32x8>(1.0 / 6.0);
      std::size_t i = cb;
      for (; i + 8 <= ce; i += 8) {
        const f32x8 v = load8(x + i);
        const f32x8 h = v - (four * (load8(x + i - 1) + load8(x + i + 1)) -
                             (load8(x + i - 2) + load8(x + i + 2))) * sixth;
        he += h * h;
        xe += v * v;
        hm = simd::max(hm, abs8(h));
      }
      double dh = hsum(he), dx = hsum(xe);
      float mh = hmax(hm);
      for (; i < ce; ++i) {
        const float h =
            x[i] - (4.0f * (x[i - 1] + x[i + 1]) - (x[i - 2] + x[i + 2])) * (1.0f / 6.0f);
        dh += static_cast<double>(h) * static_cast<double>(h);
        dx += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        mh = std::max(mh, std::fabs(h));
      }
      const double len = ce > cb ? static_cast<double>(ce - cb) : 1.0;
      // Where the largest residual is, for a cell whose largest stands far out of its mean
      // (every click the detector can report does: it is 18 dB over its neighbours).
      std::size_t at = cb;
      if (static_cast<double>(mh) * static_cast<double>(mh) > 16.0 * dh / len) {
        float best = -1.0f;
        for (std::size_t q = cb; q < ce; ++q) {
          const float h = std::fabs(x[q] - (4.0f * (x[q - 1] + x[q + 1]) - (x[q - 2] + x[q + 2])) * (1.0f / 6.0f));
          if (h > best) best = h, at = q;
        }
      }
      click_cells[ci][j] = {static_cast<float>(dh / len), static_cast<float>(dx / len), mh, at + off};
    }

    if (peak >= kFlatLevel) {
      scan_clips(c, b, e, off);
    } else if (run_[ci].length > 0) {
      scan_clips(c, b, b, off);  // closes the run in progress
    }
  }
  true_peak[k] = tp_all;

  // 1 ms cells: peak over channels, and where the first and last sample over the silence
  // level are in those that have one.
  for (std::size_t j = k * kCellsPerSubBlock; j < (k + 1) * kCellsPerSubBlock; ++j) {
    const std::size_t cb = std::min(cell_start(j), frames_), ce = std::min(cell_start(j + 1), frames_);
    if (cb >= ce) break;
    float m = 0.0f;
    for (int c = 0; c < nch; ++c) m = std::max(m, max_abs(win(c), cb - off, ce - off));
    Cell cell{m, kNone, kNone};
    if (m > silence_level_) {
      const auto loud = [&](std::size_t i) {
        for (int c = 0; c < nch; ++c) {
          if (std::fabs(win(c)[i - off]) > silence_level_) return true;
        }
        return false;
      };
      std::size_t i = cb;
      while (!loud(i)) ++i;
      cell.first_loud = static_cast<std::uint16_t>(i - cb);
      i = ce - 1;
      while (!loud(i)) --i;
      cell.last_loud = static_cast<std::uint16_t>(i - cb);
    }
    cells.push_back(cell);
  }

  // Mono sum: waveform and spectrum.
  const float scale = 1.0f / static_cast<float>(nch);
  float lo = 0.0f, hi = 0.0f;
  if (nch == 2) {
    const float* l = win(0);
    const float* r = win(1);
    for (std::size_t n = b; n < e; ++n) mono_[n - b] = (l[n] + r[n]) * 0.5f;
  } else {
    for (std::size_t n = b; n < e; ++n) {
      float m = 0.0f;
      for (int c = 0; c < nch; ++c) m += win(c)[n];
      mono_[n - b] = m * scale;
    }
  }
  for (std::size_t n = 0; n < e - b; ++n) {
    lo = std::min(lo, mono_[n]);
    hi = std::max(hi, mono_[n]);
  }
  wave_min[k] = lo;
  wave_max[k] = hi;
  spectrum.push(mono_.data(), e - b);
}

void SignalPass::scan_clips(int c, std::size_t b, std::size_t e, std::size_t off) {
  RunState& st = run_[static_cast<std::size_t>(c)];
  const float* x = win(c);
  // A flat top below full scale counts only when the waveform runs into it steeply, as into
  // a ceiling: the crest of a slow wave also repeats a sample or two once quantised, but
  // approached in steps of a least significant bit.
  const auto close = [&] {
    const bool full = std::fabs(st.value) >= kFullScale;
    if (st.length >= static_cast<std::size_t>(clip_run_) && (full || st.entry >= kFlatStep)) {
      clip_runs.push_back({c, st.start, st.length, full});
    }
    st.length = 0;
  };
  for (std::size_t n = b; n < e; ++n) {
    const float v = x[n];
    const float a = std::fabs(v);
    const bool rail = a >= kFullScale;
    if (st.length > 0) {
      const bool st_rail = std::fabs(st.value) >= kFullScale;
      const bool extends = rail ? st_rail && ((v > 0.0f) == (st.value > 0.0f))
                                : !st_rail && v == st.value;
      if (extends) {
        ++st.length;
        continue;
      }
      close();
    }
    if (a >= kFlatLevel) st = {n + off, 1, v, std::fabs(x[n - 1] - x[n - 2])};
  }
  if (b == e && st.length > 0) close();
}

void SignalPass::push(const float* interleaved, std::size_t n) {
  constexpr std::size_t pad = TruePeakScanner::kPad;
  while (n > 0) {
    const std::size_t room = window_frames_ - pad - fill_;
    const std::size_t take = std::min(n, room);
    for (int c = 0; c < channels_; ++c) {
      float* dst = win(c) + fill_;
      const float* src = interleaved + c;
      for (std::size_t i = 0; i < take; ++i) dst[i] = src[i * static_cast<std::size_t>(channels_)];
    }
    for (std::size_t i = 0; i < take * static_cast<std::size_t>(channels_); ++i) {
      if ((std::bit_cast<std::uint32_t>(interleaved[i]) & 0x7f800000u) == 0x7f800000u && !non_finite_) {
        non_finite_ = frames_ + i / static_cast<std::size_t>(channels_);
      }
    }
    fill_ += take;
    frames_ = base_ + fill_;
    interleaved += take * static_cast<std::size_t>(channels_);
    n -= take;
    // Sub-blocks whose samples and lookahead have all arrived.
    while (start(next_) + start_step(next_) + pad <= frames_) sub_block(next_++);
    compact();
  }
}

void SignalPass::finish() {
  constexpr std::size_t pad = TruePeakScanner::kPad;
  for (int c = 0; c < channels_; ++c) std::fill_n(win(c) + fill_, pad, 0.0f);
  const auto rate = static_cast<std::size_t>(std::lround(sample_rate_));
  sub_blocks_ = (frames_ * 100 + rate - 1) / rate;
  while (next_ < sub_blocks_) sub_block(next_++);
  for (auto* v : {&k_energy, &lr, &ll, &rr, &lr_low, &ll_low, &rr_low}) {
    if (!v->empty()) v->resize(sub_blocks_);
  }
  for (auto* v : {&true_peak, &wave_min, &wave_max}) v->resize(sub_blocks_);
  for (auto& v : click_cells) v.resize(sub_blocks_ * kClickCellsPerSubBlock);
  for (int c = 0; c < channels_; ++c) scan_clips(c, fill_, fill_, base_);
  spectrum.finish();
}

std::size_t SignalPass::start_step(std::size_t k) const noexcept {
  const auto rate = static_cast<std::size_t>(std::lround(sample_rate_));
  return (k + 1) * rate / 100 - k * rate / 100;
}

void SignalPass::compact() {
  // Keep kPad frames of history before the next sub-block, and what follows it.
  constexpr std::size_t pad = TruePeakScanner::kPad;
  const std::size_t keep_from = start(next_) - base_;  // index in the window of the next sub-block
  if (keep_from == 0) return;
  for (int c = 0; c < channels_; ++c) {
    float* w = win_[static_cast<std::size_t>(c)].data();
    std::memmove(w, w + keep_from, (fill_ - keep_from + pad) * sizeof(float));
  }
  base_ += keep_from;
  fill_ -= keep_from;
}

void SignalPass::ensure(std::size_t k) {
  if (k < k_energy.size()) return;
  const std::size_t size = std::max<std::size_t>(2 * k_energy.size(), k + 1);
  for (auto* v : {&k_energy}) v->resize(size, 0.0);
  if (channels_ == 2) {
    for (auto* v : {&lr, &ll, &rr, &lr_low, &ll_low, &rr_low}) v->resize(size, 0.0);
  }
  for (auto* v : {&true_peak, &wave_min, &wave_max}) v->resize(size, 0.0f);
  for (auto& v : click_cells) v.resize(size * kClickCellsPerSubBlock);
}

}  // namespace lacquer::analysis::detail
