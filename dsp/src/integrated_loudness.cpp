#include "lacquer/dsp/integrated_loudness.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace lacquer::dsp {

namespace {

constexpr double kOffsetDb = -0.691;  // BS.1770: L = -0.691 + 10 log10(energy)
constexpr double kAbsoluteGateLufs = -70.0;
constexpr double kRelativeGateLu = -10.0;

// Denominator of the bilinear transform, prewarped at f0, of a second-order analogue section
// with poles s^2 + s / q + 1 (s in units of 2 pi f0): 1 + k / q + k^2, and a1, a2 over it.
struct Poles {
  double k, a0, a1, a2;
};
Poles poles(double fs, double f0, double q) {
  const double k = std::tan(std::numbers::pi * f0 / fs);
  const double a0 = 1.0 + k / q + k * k;
  return {k, a0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0};
}

}  // namespace

IntegratedLoudness::IntegratedLoudness(double sample_rate)
    : block_frames_(static_cast<std::uint32_t>((std::lround(sample_rate) + 5) / 10)) {
  const auto splat = [](double x) { return simd::splat<V>(x); };
  // Pre-filter: a high shelf of +4 dB, numerator vh s^2 + vb s / q + 1.
  {
    const double q = 0.7071752369554196;
    const Poles p = poles(sample_rate, 1681.974450955533, q);
    const double vh = std::pow(10.0, 3.999843853973347 / 20.0);
    const double vb = std::pow(vh, 0.4996667741545416);
    const double kk = p.k * p.k;
    shelf_.b0 = splat((vh + vb * p.k / q + kk) / p.a0);
    shelf_.b1 = splat(2.0 * (kk - vh) / p.a0);
    shelf_.b2 = splat((vh - vb * p.k / q + kk) / p.a0);
    shelf_.a1 = splat(p.a1);
    shelf_.a2 = splat(p.a2);
  }
  // RLB high-pass; its numerator stays 1, -2, 1 at every rate, as BS.1770 gives it at 48 kHz.
  {
    const Poles p = poles(sample_rate, 38.13547087602444, 0.5003270373238773);
    highpass_.b0 = splat(1.0);
    highpass_.b1 = splat(-2.0);
    highpass_.b2 = splat(1.0);
    highpass_.a1 = splat(p.a1);
    highpass_.a2 = splat(p.a2);
  }
}

void IntegratedLoudness::push(const double* interleaved, std::size_t n) {
  // Locals in the loop: the two recursions and the sum stay in registers.
  Section f = shelf_, h = highpass_;
  V sum = sum_;
  while (n > 0) {
    const std::size_t run = std::min<std::size_t>(n, block_frames_ - in_block_);
    for (std::size_t i = 0; i < run; ++i) {
      const V x = {interleaved[2 * i], interleaved[2 * i + 1]};
      const V y = f.b0 * x + f.s1;
      f.s1 = f.b1 * x - f.a1 * y + f.s2;
      f.s2 = f.b2 * x - f.a2 * y;
      const V z = h.b0 * y + h.s1;
      h.s1 = h.b1 * y - h.a1 * z + h.s2;
      h.s2 = h.b2 * y - h.a2 * z;
      sum += z * z;
    }
    interleaved += 2 * run;
    n -= run;
    in_block_ += static_cast<std::uint32_t>(run);
    if (in_block_ == block_frames_) {
      blocks_.push_back(sum[0] + sum[1]);
      sum = V{};
      in_block_ = 0;
    }
  }
  shelf_.s1 = f.s1, shelf_.s2 = f.s2, highpass_.s1 = h.s1, highpass_.s2 = h.s2;
  sum_ = sum;
}

double IntegratedLoudness::lufs() const {
  // Gating block j: the four 100 ms blocks ending with block j, as a mean square.
  const double frames = 4.0 * block_frames_;
  std::vector<double> gating;
  const double absolute = std::pow(10.0, (kAbsoluteGateLufs - kOffsetDb) / 10.0);
  double sum = 0.0;
  for (std::size_t j = 3; j < blocks_.size(); ++j) {
    const double e = (blocks_[j - 3] + blocks_[j - 2] + blocks_[j - 1] + blocks_[j]) / frames;
    if (e < absolute) continue;
    gating.push_back(e);
    sum += e;
  }
  if (gating.empty()) return -INFINITY;
  const double relative =
      sum / static_cast<double>(gating.size()) * std::pow(10.0, kRelativeGateLu / 10.0);
  double gated = 0.0;
  std::size_t count = 0;
  for (const double e : gating) {
    if (e < relative) continue;
    gated += e;
    ++count;
  }
  return kOffsetDb + 10.0 * std::log10(gated / static_cast<double>(count));
}

}  // namespace lacquer::dsp
