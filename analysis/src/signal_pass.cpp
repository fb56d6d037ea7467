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

PaddedSignal::PaddedSignal(int nch, double rate, std::size_t n)
    : channels(nch), sample_rate(rate), frames(n) {
  constexpr std::size_t p = TruePeakScanner::kPad;
  constexpr std::size_t kHuge = 2u << 20;
  const std::size_t bytes = ((n + 2 * p) * sizeof(float) + kHuge - 1) / kHuge * kHuge;
  for (int c = 0; c < nch; ++c) {
    auto* mem = static_cast<float*>(std::aligned_alloc(kHuge, bytes));
    if (mem == nullptr) throw std::bad_alloc();
    ::madvise(mem, bytes, MADV_HUGEPAGE);
    data.emplace_back(mem);
    std::fill_n(mem, p, 0.0f);
    std::fill_n(mem + p + n, p, 0.0f);
  }
}

bool PaddedSignal::put(const float* interleaved, std::size_t at, std::size_t n) noexcept {
  // Non-finite floats have every exponent bit set; the test on the bits vectorises.
  std::uint32_t bad = 0;
  const auto check = [&](float v) {
    bad |= static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(v) & 0x7f800000u) == 0x7f800000u);
  };
  if (channels == 2) {
    float* l = channel(0) + at;
    float* r = channel(1) + at;
    for (std::size_t i = 0; i < n; ++i) {
      l[i] = interleaved[2 * i];
      r[i] = interleaved[2 * i + 1];
    }
    for (std::size_t i = 0; i < 2 * n; ++i) check(interleaved[i]);
    return bad == 0;
  }
  for (int c = 0; c < channels; ++c) {
    float* dst = channel(c) + at;
    for (std::size_t i = 0; i < n; ++i) dst[i] = interleaved[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)];
  }
  for (std::size_t i = 0; i < n * static_cast<std::size_t>(channels); ++i) check(interleaved[i]);
  return bad == 0;
}

SignalPass::SignalPass(const PaddedSignal& signal, int clip_run)
    : spectrum(signal.sample_rate), s_(signal), scanner_(signal.sample_rate), clip_run_(clip_run) {
  const auto rate = static_cast<std::size_t>(std::lround(signal.sample_rate));
  sub_blocks_ = (signal.frames * 100 + rate - 1) / rate;
  const std::size_t k = sub_blocks_;
  k_energy.assign(k, 0.0);
  true_peak.assign(k, 0.0f);
  wave_min.assign(k, 0.0f);
  wave_max.assign(k, 0.0f);
  if (signal.channels == 2) {
    for (auto* v : {&lr, &ll, &rr, &lr_low, &ll_low, &rr_low}) v->assign(k, 0.0);
  }
  std::size_t cells = 0;
  while (cell_start(cells) < signal.frames) ++cells;
  cell_peak.assign(cells, 0.0f);
  const auto nc = static_cast<std::size_t>(signal.channels);
  click_cells.assign(nc, std::vector<ClickCell>(k * kClickCellsPerSubBlock));
  sum.assign(nc, 0.0);
  sum_sq.assign(nc, 0.0);
  sample_peak.assign(nc, 0.0f);
  channel_true_peak.assign(nc, 0.0f);
  run_.assign(nc, RunState{});
  // BS.1770 weights: 1 for front channels, 1.41 for surrounds, 0 for LFE (5.1 in WAV order
  // L R C LFE Ls Rs; 5.0 as L R C Ls Rs).
  weight_.assign(nc, 1.0);
  if (signal.channels == 6) weight_ = {1.0, 1.0, 1.0, 0.0, 1.41, 1.41};
  if (signal.channels == 5) weight_ = {1.0, 1.0, 1.0, 1.41, 1.41};
  for (std::size_t c = 0; c < nc; c += 2) {
    k_shelf_.push_back(k_shelf(signal.sample_rate));
    k_highpass_.push_back(k_highpass(signal.sample_rate));
  }
  // Fourth-order Butterworth as two sections.
  low_[0] = low_pass(signal.sample_rate, kLowBandHz, 0.5411961001461969);
  low_[1] = low_pass(signal.sample_rate, kLowBandHz, 1.3065629648763764);
  if (signal.channels == 2) {
    quad_.emplace(k_shelf_[0], k_highpass_[0], low_[0], low_[1]);
  }
  mono_.resize(rate / 100 + 2);
}

std::size_t SignalPass::start(std::size_t k) const noexcept {
  const auto rate = static_cast<std::size_t>(std::lround(s_.sample_rate));
  return std::min(s_.frames, k * rate / 100);
}

std::size_t SignalPass::cell_start(std::size_t j) const noexcept {
  const auto rate = static_cast<std::size_t>(std::lround(s_.sample_rate));
  return std::min(s_.frames, j * rate / 1000);
}

std::size_t SignalPass::click_cell_start(std::size_t j) const noexcept {
  const auto rate = static_cast<std::size_t>(std::lround(s_.sample_rate));
  return std::min(s_.frames, j * rate / (100 * kClickCellsPerSubBlock));
}

void SignalPass::run(std::size_t from, std::size_t to) {
  for (std::size_t k = from; k < to && k < sub_blocks_; ++k) sub_block(k);
}

void SignalPass::sub_block(std::size_t k) {
  const std::size_t b = start(k), e = start(k + 1);
  const int nch = s_.channels;

  // Loudness: K-weighted energy, channel pairs as one vector; for stereo, with the low band.
  double energy = 0.0;
  if (nch == 2) {
    simd::f64x4 squares;
    double cross = 0.0;
    quad_->run(s_.channel(0), s_.channel(1), b, e, squares, cross);
    energy = weight_[0] * squares[0] + weight_[1] * squares[1];
    ll_low[k] = squares[2];
    rr_low[k] = squares[3];
    lr_low[k] = cross;
  }
  for (int c = 0; nch != 2 && c < nch; c += 2) {
    const float* x0 = s_.channel(c);
    const bool pair = c + 1 < nch;
    const float* x1 = pair ? s_.channel(c + 1) : x0;
    f64x2 acc = {0.0, 0.0};
    const auto p = static_cast<std::size_t>(c / 2);
    run_pair(k_shelf_[p], k_highpass_[p], x0, x1, b, e, [&](std::size_t, f64x2 z) { acc += z * z; });
    energy += weight_[static_cast<std::size_t>(c)] * acc[0];
    if (pair) energy += weight_[static_cast<std::size_t>(c + 1)] * acc[1];
  }
  k_energy[k] = energy;

  // Stereo: correlation sums (the low band's came with the loudness).
  if (nch == 2) {
    const float* l = s_.channel(0);
    const float* r = s_.channel(1);
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
    const float* x = s_.channel(c);
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
          inter_sample_overs.emplace_back(i, c);
          found = true;
        }
      });
    }

    // Click cells: the residual of each sample against a cubic through its two neighbours
    // on either side (zero for any cubic, so the music's low and mid range cancels).
    for (std::size_t j = k * kClickCellsPerSubBlock; j < (k + 1) * kClickCellsPerSubBlock; ++j) {
      const std::size_t cb = click_cell_start(j), ce = click_cell_start(j + 1);
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
      click_cells[ci][j] = {static_cast<float>(dh / len), static_cast<float>(dx / len), mh,
                            static_cast<std::uint32_t>(cb)};
    }

    if (peak >= kFlatLevel) {
      scan_clips(c, b, e);
    } else if (run_[ci].length > 0) {
      scan_clips(c, b, b);  // closes the run in progress
    }
  }
  true_peak[k] = tp_all;

  // 1 ms cells: peak over channels.
  for (std::size_t j = k * kCellsPerSubBlock; j < (k + 1) * kCellsPerSubBlock && j < cell_peak.size(); ++j) {
    float m = 0.0f;
    for (int c = 0; c < nch; ++c) m = std::max(m, max_abs(s_.channel(c), cell_start(j), cell_start(j + 1)));
    cell_peak[j] = m;
  }

  // Mono sum: waveform and spectrum.
  const float scale = 1.0f / static_cast<float>(nch);
  float lo = 0.0f, hi = 0.0f;
  if (nch == 2) {
    const float* l = s_.channel(0);
    const float* r = s_.channel(1);
    for (std::size_t n = b; n < e; ++n) mono_[n - b] = (l[n] + r[n]) * 0.5f;
  } else {
    for (std::size_t n = b; n < e; ++n) {
      float m = 0.0f;
      for (int c = 0; c < nch; ++c) m += s_.channel(c)[n];
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

void SignalPass::scan_clips(int c, std::size_t b, std::size_t e) {
  RunState& st = run_[static_cast<std::size_t>(c)];
  const float* x = s_.channel(c);
  const auto close = [&] {
    if (st.length >= static_cast<std::size_t>(clip_run_)) {
      clip_runs.push_back({c, st.start, st.length, std::fabs(st.value) >= kFullScale});
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
    if (a >= kFlatLevel) st = {n, 1, v};
  }
  if (b == e) close();
}

void SignalPass::finish() {
  for (int c = 0; c < s_.channels; ++c) scan_clips(c, 0, 0);
  spectrum.finish();
}

}  // namespace lacquer::analysis::detail
