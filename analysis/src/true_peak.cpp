#include "lacquer/analysis/true_peak.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>

#include "lacquer/dsp/simd.hpp"

namespace lacquer::analysis {

namespace simd = dsp::simd;

namespace {

constexpr int kPrototypeTaps = 49;  // libebur128's interpolator, whatever the factor

simd::f32x8 load8(const float* p) noexcept {
  simd::f32x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

simd::f32x8 abs8(simd::f32x8 v) noexcept { return simd::select<simd::f32x8>(v < 0.0f, -v, v); }

}  // namespace

TruePeakScanner::TruePeakScanner(double sample_rate) {
  factor_ = sample_rate < 96000.0 ? 4 : sample_rate < 192000.0 ? 2 : 1;
  taps_ = (kPrototypeTaps - 1) / factor_;
  lead_ = (kPrototypeTaps - 1) / 2 / factor_;
  // Prototype tap j = f + factor * t weighs x[i - t] in the output i * factor + f, which is
  // the instant i - lead_ + f / factor; the taps at j = 0 and 48 are zero (Hann).
  for (int f = 1; f < factor_; ++f) {
    for (int t = 0; t < taps_; ++t) {
      const int j = f + factor_ * t;
      const double m = (j - (kPrototypeTaps - 1) / 2.0) * std::numbers::pi / factor_;
      const double sinc = std::sin(m) / m;
      const double hann =
          0.5 * (1.0 - std::cos(2.0 * std::numbers::pi * j / (kPrototypeTaps - 1)));
      coef_[static_cast<std::size_t>(f - 1)][static_cast<std::size_t>(t)] =
          static_cast<float>(sinc * hann);
    }
  }
}

float TruePeakScanner::interpolate(const float* x, std::size_t n, int f) const noexcept {
  const auto& c = coef_[static_cast<std::size_t>(f - 1)];
  const float* base = x + n + static_cast<std::size_t>(lead_);
  float acc = 0.0f;
  for (int t = 0; t < taps_; ++t) acc += c[static_cast<std::size_t>(t)] * *(base - t);
  return acc;
}

float TruePeakScanner::max_abs(const float* x, std::size_t begin, std::size_t end) const noexcept {
  simd::f32x8 m{};
  std::size_t n = begin;
  for (; n + 8 <= end; n += 8) {
    m = simd::max(m, abs8(load8(x + n)));
    const float* base = x + n + static_cast<std::size_t>(lead_);
    for (int f = 0; f + 1 < factor_; ++f) {
      const auto& c = coef_[static_cast<std::size_t>(f)];
      // Two partial sums, so the additions of neighbouring taps overlap.
      simd::f32x8 a{}, b{};
      int t = 0;
      for (; t + 1 < taps_; t += 2) {
        a = simd::fma(simd::splat<simd::f32x8>(c[static_cast<std::size_t>(t)]), load8(base - t), a);
        b = simd::fma(simd::splat<simd::f32x8>(c[static_cast<std::size_t>(t + 1)]),
                      load8(base - t - 1), b);
      }
      m = simd::max(m, abs8(a + b));
    }
  }
  float peak = 0.0f;
  for (int k = 0; k < 8; ++k) peak = std::max(peak, m[k]);
  for (; n < end; ++n) {
    peak = std::max(peak, std::fabs(x[n]));
    for (int f = 1; f < factor_; ++f) peak = std::max(peak, std::fabs(interpolate(x, n, f)));
  }
  return peak;
}

StreamingTruePeak::StreamingTruePeak(double sample_rate, int channels)
    : scanner_(sample_rate),
      channels_(channels),
      buf_(static_cast<std::size_t>(channels), std::vector<float>(4096 + 2 * TruePeakScanner::kPad)),
      peak_(static_cast<std::size_t>(channels), 0.0f) {}

void StreamingTruePeak::push(const float* interleaved, std::size_t n) {
  constexpr std::size_t pad = TruePeakScanner::kPad;
  const std::size_t room = buf_[0].size() - pad;  // a scan needs pad samples of lookahead
  while (n > 0) {
    const std::size_t take = std::min(n, buf_[0].size() - fill_);
    for (int c = 0; c < channels_; ++c) {
      float* dst = buf_[static_cast<std::size_t>(c)].data() + fill_;
      for (std::size_t i = 0; i < take; ++i) dst[i] = interleaved[i * channels_ + c];
    }
    fill_ += take;
    interleaved += take * static_cast<std::size_t>(channels_);
    n -= take;
    if (fill_ == buf_[0].size()) scan(room);
  }
}

void StreamingTruePeak::finish() {
  constexpr std::size_t pad = TruePeakScanner::kPad;
  const std::size_t end = fill_;
  for (auto& b : buf_) std::fill(b.begin() + static_cast<std::ptrdiff_t>(end), b.end(), 0.0f);
  fill_ = std::min(end + pad, buf_[0].size());
  scan(end);
  fill_ = pad;
}

void StreamingTruePeak::scan(std::size_t end) {
  constexpr std::size_t pad = TruePeakScanner::kPad;
  for (int c = 0; c < channels_; ++c) {
    auto& b = buf_[static_cast<std::size_t>(c)];
    const float m = scanner_.max_abs(b.data(), pad, end);
    auto& p = peak_[static_cast<std::size_t>(c)];
    p = std::max(p, m);
    if (m > 1.0f) {
      for (std::size_t n = pad; n < end; ++n) overs_on_ += std::fabs(b[n]) > 1.0f;
      scanner_.for_each_inter_sample_over(b.data(), pad, end, 1.0f,
                                          [&](std::size_t, int, float) { ++overs_inter_; });
    }
    // The last pad samples scanned become the history; unscanned ones follow them.
    std::copy(b.begin() + static_cast<std::ptrdiff_t>(end - pad),
              b.begin() + static_cast<std::ptrdiff_t>(fill_), b.begin());
  }
  fill_ -= end - pad;
}

float StreamingTruePeak::max_peak() const noexcept {
  float m = 0.0f;
  for (const float p : peak_) m = std::max(m, p);
  return m;
}

}  // namespace lacquer::analysis
