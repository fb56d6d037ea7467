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

std::uint32_t IntegratedLoudness::block_frames(double sample_rate) {
  return static_cast<std::uint32_t>((std::lround(sample_rate) + 5) / 10);
}

IntegratedLoudness::IntegratedLoudness(double sample_rate) : block_frames_(block_frames(sample_rate)) {
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

template <typename Frame, typename Energy>
void IntegratedLoudness::push_frames(Frame frame, std::size_t n, Energy energy) {
  // Locals in the loop: the two recursions and the sum stay in registers.
  Section f = shelf_, h = highpass_;
  V sum = sum_;
  std::size_t at = 0;
  while (at < n) {
    const std::size_t end = at + std::min<std::size_t>(n - at, block_frames_ - in_block_);
    in_block_ += static_cast<std::uint32_t>(end - at);
    for (; at < end; ++at) {
      const V x = frame(at);
      const V y = f.b0 * x + f.s1;
      f.s1 = f.b1 * x - f.a1 * y + f.s2;
      f.s2 = f.b2 * x - f.a2 * y;
      const V z = h.b0 * y + h.s1;
      h.s1 = h.b1 * y - h.a1 * z + h.s2;
      h.s2 = h.b2 * y - h.a2 * z;
      const V z2 = z * z;
      energy(at, z2);
      sum += z2;
    }
    if (in_block_ == block_frames_) {
      blocks_.push_back(sum[0] + sum[1]);
      sum = V{};
      in_block_ = 0;
    }
  }
  shelf_.s1 = f.s1, shelf_.s2 = f.s2, highpass_.s1 = h.s1, highpass_.s2 = h.s2;
  sum_ = sum;
}

void IntegratedLoudness::push(const double* interleaved, std::size_t n) {
  push_frames([interleaved](std::size_t i) { return V{interleaved[2 * i], interleaved[2 * i + 1]}; },
              n, [](std::size_t, V) {});
}

void IntegratedLoudness::push(const double* left, const double* right, std::size_t n,
                              double* energy) {
  push_frames([left, right](std::size_t i) { return V{left[i], right[i]}; }, n,
              [energy](std::size_t i, V z2) { energy[i] = z2[0] + z2[1]; });
}

double IntegratedLoudness::lufs() const { return gated_lufs(blocks_, block_frames_); }

double IntegratedLoudness::gated_lufs(const std::vector<double>& blocks,
                                       std::uint32_t block_frames) {
  // Gating block j: the four 100 ms blocks ending with block j, as a mean square.
  const double frames = 4.0 * block_frames;
  std::vector<double> gating;
  const double absolute = std::pow(10.0, (kAbsoluteGateLufs - kOffsetDb) / 10.0);
  double sum = 0.0;
  for (std::size_t j = 3; j < blocks.size(); ++j) {
    const double e = (blocks[j - 3] + blocks[j - 2] + blocks[j - 1] + blocks[j]) / frames;
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
