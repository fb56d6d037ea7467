// The monitor path's SPL reference: pink noise whose spectrum, measured here with an FFT
// (Welch, Hann), falls 3 dB per octave, whose 500 Hz-2 kHz band follows 4th-order Butterworth
// skirts (the analog prototype's magnitude), whose RMS is the level set, and which replaces
// the program on one speaker only.
#include <gtest/gtest.h>

#include <fftw3.h>

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "lacquer/dsp/monitor_path.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kFs = 48000.0;
constexpr int kFft = 16384;

double rms_db(const std::vector<double>& x, std::size_t from = 0) {
  double sum = 0.0;
  for (std::size_t i = from; i < x.size(); ++i) sum += x[i] * x[i];
  return 10.0 * std::log10(sum / static_cast<double>(x.size() - from));
}

// Power per FFT bin, averaged over Hann-windowed frames overlapping by half.
std::vector<double> welch(const std::vector<double>& x) {
  std::vector<double> frame(kFft);
  std::vector<fftw_complex> spectrum(kFft / 2 + 1);
  fftw_plan plan = fftw_plan_dft_r2c_1d(kFft, frame.data(), spectrum.data(), FFTW_ESTIMATE);
  std::vector<double> power(kFft / 2 + 1, 0.0);
  int frames = 0;
  for (std::size_t at = 0; at + kFft <= x.size(); at += kFft / 2) {
    for (int i = 0; i < kFft; ++i) {
      const double w = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * i / kFft);
      frame[i] = w * x[at + i];
    }
    fftw_execute(plan);
    for (int k = 0; k <= kFft / 2; ++k) {
      power[k] += spectrum[k][0] * spectrum[k][0] + spectrum[k][1] * spectrum[k][1];
    }
    ++frames;
  }
  fftw_destroy_plan(plan);
  for (auto& p : power) p /= frames;
  return power;
}

// Sum over the bins of the 1/3-octave band around `fc` of `weight(f) · power`.
template <class Weight>
double band_sum(const std::vector<double>& power, double fc, Weight weight) {
  const double lo = fc * std::exp2(-1.0 / 6.0);
  const double hi = fc * std::exp2(1.0 / 6.0);
  double sum = 0.0;
  for (std::size_t k = 1; k < power.size(); ++k) {
    const double f = static_cast<double>(k) * kFs / kFft;
    if (f >= lo && f < hi) sum += weight(f) * power[k];
  }
  return sum;
}

std::vector<double> generate(PinkNoise::Band band, double rms, std::size_t n) {
  PinkNoise noise;
  noise.prepare(kFs);
  std::vector<double> x(n);
  for (auto& v : x) v = noise.next(band, rms);
  return x;
}

// Centres of the 1/3-octave bands from 2^from to 2^to kHz (ISO-style, base 2).
std::vector<double> third_octaves(double from, double to) {
  std::vector<double> out;
  for (double e = from; e <= to + 1e-9; e += 1.0 / 3.0) out.push_back(1000.0 * std::exp2(e));
  return out;
}

TEST(PinkNoise, FallsThreeDbPerOctaveAtTheLevelSet) {
  const auto x = generate(PinkNoise::Band::full, std::pow(10.0, -20.0 / 20.0), 1u << 21);
  EXPECT_NEAR(rms_db(x), -20.0, 0.1);

  // Power density per band (the mean of its bins, at their mean octave): its line against
  // octaves has slope -3.01 dB.
  const auto power = welch(x);
  const auto centres = third_octaves(-5.0, 4.0);  // 31 Hz to 16 kHz
  std::vector<double> octave, level;
  for (double fc : centres) {
    double sum = 0.0, at = 0.0;
    int bins = 0;
    for (std::size_t k = 1; k < power.size(); ++k) {
      const double f = static_cast<double>(k) * kFs / kFft;
      if (f < fc * std::exp2(-1.0 / 6.0) || f >= fc * std::exp2(1.0 / 6.0)) continue;
      sum += power[k];
      at += std::log2(f / 1000.0);
      ++bins;
    }
    octave.push_back(at / bins);
    level.push_back(10.0 * std::log10(sum / bins));
  }
  const double n = static_cast<double>(octave.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < octave.size(); ++i) {
    sx += octave[i];
    sy += level[i];
    sxx += octave[i] * octave[i];
    sxy += octave[i] * level[i];
  }
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  const double intercept = (sy - slope * sx) / n;
  EXPECT_NEAR(slope, -10.0 * std::log10(2.0), 0.1);
  for (std::size_t i = 0; i < octave.size(); ++i) {
    EXPECT_NEAR(level[i], intercept + slope * octave[i], 0.5) << "at " << centres[i] << " Hz";
  }
}

TEST(PinkNoise, MidBandKeepsToFiveHundredHertzToTwoKilohertz) {
  const auto x = generate(PinkNoise::Band::mid, std::pow(10.0, -20.0 / 20.0), 1u << 21);
  EXPECT_NEAR(rms_db(x), -20.0, 0.1);

  // Pink (1/f) through the analog 4th-order Butterworth high-pass at 500 Hz and low-pass at
  // 2 kHz, scaled to the measured power of the 1 kHz band.
  const auto model = [](double f) {
    const double hp = std::pow(f / 500.0, 8.0) / (1.0 + std::pow(f / 500.0, 8.0));
    const double lp = 1.0 / (1.0 + std::pow(f / 2000.0, 8.0));
    return hp * lp / f;
  };
  const auto power = welch(x);
  const auto flat = [](double) { return 1.0; };
  const auto bins = [&](double fc) {  // the model summed over the band's bins
    const double lo = fc * std::exp2(-1.0 / 6.0), hi = fc * std::exp2(1.0 / 6.0);
    double s = 0.0;
    for (int k = 1; k <= kFft / 2; ++k) {
      const double f = k * kFs / kFft;
      if (f >= lo && f < hi) s += model(f);
    }
    return s;
  };
  const double scale = band_sum(power, 1000.0, flat) / bins(1000.0);
  for (double fc : third_octaves(-2.0, 1.0)) {  // 250 Hz to 2 kHz and above it
    const double measured = 10.0 * std::log10(band_sum(power, fc, flat));
    const double expected = 10.0 * std::log10(scale * bins(fc));
    EXPECT_NEAR(measured, expected, 0.5) << "at " << fc << " Hz";
  }
  // An octave and more outside the band: at least 24 dB per octave down.
  const double centre = 10.0 * std::log10(band_sum(power, 1000.0, flat));
  EXPECT_LT(10.0 * std::log10(band_sum(power, 250.0, flat)), centre - 20.0);
  EXPECT_LT(10.0 * std::log10(band_sum(power, 125.0, flat)), centre - 40.0);
  EXPECT_LT(10.0 * std::log10(band_sum(power, 8000.0, flat)), centre - 40.0);
}

TEST(MonitorNoise, ReplacesTheProgramOnOneSpeakerThroughItsGain) {
  constexpr std::uint32_t kBlock = 256;
  constexpr std::size_t kFrames = 1u << 19;
  MonitorPath::Params p;
  p.noise = MonitorPath::Noise::full;
  p.noise_speaker = 1;
  p.noise_level_db = -20.0;
  p.sets[0].speakers[1].trim_db = -3.0;
  MonitorPath m;
  m.prepare(kFs, kBlock);
  m.reset(MonitorPath::Params{});
  m.set_params(p);
  // The program: a -6 dBFS 1 kHz tone on both channels.
  std::vector<double> tone(kFrames);
  for (std::size_t i = 0; i < kFrames; ++i) {
    tone[i] = 0.5 * std::sin(2.0 * std::numbers::pi * 1000.0 * static_cast<double>(i) / kFs);
  }
  std::array<std::vector<double>, 2> out{std::vector<double>(kFrames), std::vector<double>(kFrames)};
  for (std::size_t off = 0; off < kFrames; off += kBlock) {
    MonitorPath::Sources sources{};
    sources[0] = {tone.data() + off, tone.data() + off};
    double* o[2] = {out[0].data() + off, out[1].data() + off};
    m.process(sources, o, kBlock);
  }
  const std::size_t settled = static_cast<std::size_t>(kFs);  // after fades and glides
  EXPECT_LT(rms_db(out[0], settled), -140.0);                // the program is gone
  EXPECT_NEAR(rms_db(out[1], settled), -23.0, 0.15);          // the noise, trimmed

  // Off again: the program comes back on both speakers.
  p.noise = MonitorPath::Noise::off;
  m.set_params(p);
  for (std::size_t off = 0; off < kFrames; off += kBlock) {
    MonitorPath::Sources sources{};
    sources[0] = {tone.data() + off, tone.data() + off};
    double* o[2] = {out[0].data() + off, out[1].data() + off};
    m.process(sources, o, kBlock);
  }
  EXPECT_NEAR(rms_db(out[0], settled), 20.0 * std::log10(0.5 / std::sqrt(2.0)), 0.05);
  EXPECT_NEAR(rms_db(out[1], settled), 20.0 * std::log10(0.5 / std::sqrt(2.0)) - 3.0, 0.05);
}

}  // namespace
}  // namespace lacquer::dsp
