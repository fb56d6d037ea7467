#pragma once
// Generated test material for the analysis tests: stereo music with drums (kick, snare and
// hi-hat with instantaneous attacks), bass and a pad, and sine programmes as the EBU
// loudness tests describe them.

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace lacquer::analysis::test {

/// Interleaved stereo (or any channel count) at a rate.
struct Audio {
  int channels = 2;
  double rate = 48000.0;
  std::vector<float> x;  // interleaved
  std::size_t frames() const { return x.size() / static_cast<std::size_t>(channels); }
  float& at(std::size_t frame, int c) { return x[frame * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)]; }
};

inline double gain(double dbfs) { return std::pow(10.0, dbfs / 20.0); }

/// Segments of (seconds, dBFS peak) of a sine, the same on every channel (below -150 dBFS:
/// silence), as the EBU tests describe their programmes.
inline Audio tone(std::initializer_list<std::pair<double, double>> segments, double freq = 997.0,
                  int channels = 2, double rate = 48000.0) {
  Audio a;
  a.channels = channels;
  a.rate = rate;
  std::size_t i = 0;
  for (const auto& [seconds, dbfs] : segments) {
    const auto n = static_cast<std::size_t>(std::lround(seconds * rate));
    const double amp = dbfs < -150.0 ? 0.0 : gain(dbfs);
    for (std::size_t k = 0; k < n; ++k, ++i) {
      const auto v = static_cast<float>(amp * std::sin(2.0 * std::numbers::pi * freq * static_cast<double>(i) / rate));
      for (int c = 0; c < channels; ++c) a.x.push_back(v);
    }
  }
  return a;
}

/// One second of a stereo sine at `cycles_per_sample`, phase in degrees, with 10 ms
/// raised-cosine fades (an abrupt edge would overshoot between samples itself).
inline Audio faded_sine(double amplitude, double cycles_per_sample, double phase_deg) {
  Audio a;
  constexpr int n = 48000, fade = 480;
  for (int i = 0; i < n; ++i) {
    const double edge = std::min({1.0, static_cast<double>(i) / fade, static_cast<double>(n - 1 - i) / fade});
    const double g = 0.5 - 0.5 * std::cos(std::numbers::pi * edge);
    const auto v = static_cast<float>(g * amplitude * std::sin(2.0 * std::numbers::pi * cycles_per_sample * i +
                                                              phase_deg * std::numbers::pi / 180.0));
    a.x.push_back(v);
    a.x.push_back(v);
  }
  return a;
}

/// `seconds` of stereo music at 120 bpm, about -17 LUFS with peaks near -4 dBTP, with 0.5 s of silence and 50 ms
/// fades at both ends.
inline Audio music(double seconds, unsigned seed = 1, double rate = 48000.0) {
  Audio a;
  a.rate = rate;
  const auto n = static_cast<std::size_t>(std::lround(seconds * rate));
  std::vector<double> l(n, 0.0), r(n, 0.0);
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  const double beat = 0.5;  // s
  const auto lead = static_cast<std::size_t>(0.5 * rate);
  const double pi2 = 2.0 * std::numbers::pi;
  // Pad: a chord of detuned sines, left and right apart in phase.
  const double chord[] = {220.0, 277.18, 329.63, 440.0};
  double bass_phase = 0.0;
  for (std::size_t i = lead; i + lead < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    double pl = 0.0, pr = 0.0;
    for (const double f : chord) {
      pl += std::sin(pi2 * f * t);
      pr += std::sin(pi2 * f * 1.002 * t + 0.7);
    }
    // Bass: a note every two beats, rounded saw from four harmonics, phase-continuous.
    bass_phase += pi2 * ((static_cast<int>(t / beat) % 4 < 2) ? 55.0 : 73.42) / rate;
    double bass = 0.0;
    for (int h = 1; h <= 4; ++h) bass += std::sin(h * bass_phase) / h;
    l[i] += 0.03 * pl + 0.12 * bass;
    r[i] += 0.03 * pr + 0.12 * bass;
  }
  // Drums, each starting at full level on its first sample.
  std::vector<double> hp_state(2, 0.0);
  for (double t0 = 0.5; t0 + 0.6 < seconds - 0.5; t0 += beat / 2.0) {
    const auto b = static_cast<std::size_t>(t0 * rate);
    const int step = static_cast<int>(std::lround((t0 - 0.5) / (beat / 2.0)));
    if (step % 2 == 0) {  // kick on every beat: falling pitch, 150 ms decay
      double phase = 0.0;
      for (std::size_t i = 0; i < static_cast<std::size_t>(1.2 * rate) && b + i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        phase += pi2 * (50.0 + 100.0 * std::exp(-t / 0.03)) / rate;
        const double v = 0.45 * std::exp(-t / 0.15) * std::sin(phase);
        l[b + i] += v;
        r[b + i] += v;
      }
    }
    if (step % 4 == 2) {  // snare on 2 and 4: noise (60 ms decay) and a 190 Hz body (120 ms)
      for (std::size_t i = 0; i < static_cast<std::size_t>(1.0 * rate) && b + i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double rattle = 0.12 * std::exp(-t / 0.06);
        const double body = 0.15 * std::exp(-t / 0.12) * std::sin(pi2 * 190.0 * t);
        l[b + i] += rattle * noise(rng) + body;
        r[b + i] += rattle * noise(rng) + body;
      }
    }
    // Hi-hat on every eighth: high-passed noise, 30 ms decay.
    double prev = 0.0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(0.4 * rate) && b + i < n; ++i) {
      const double t = static_cast<double>(i) / rate;
      const double w = noise(rng);
      const double v = 0.05 * std::exp(-t / 0.03) * (w - prev);
      prev = w;
      l[b + i] += v;
      r[b + i] += 0.8 * v;
    }
  }
  // A quiet noise floor, as any real recording has.
  for (std::size_t i = lead; i + lead < n; ++i) {
    l[i] += 3e-4 * noise(rng);
    r[i] += 3e-4 * noise(rng);
  }
  const auto fade = static_cast<std::size_t>(0.05 * rate);
  for (std::size_t i = 0; i < fade; ++i) {
    const double g = 0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(i) / static_cast<double>(fade));
    l[lead + i] *= g, r[lead + i] *= g;
    l[n - lead - 1 - i] *= g, r[n - lead - 1 - i] *= g;
  }
  a.x.resize(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    a.x[2 * i] = static_cast<float>(0.5 * l[i]);
    a.x[2 * i + 1] = static_cast<float>(0.5 * r[i]);
  }
  return a;
}

/// Writes 24-bit WAV (or FLOAT with `float_format`).
inline bool write_wav(const std::string& path, const Audio& a, int format = SF_FORMAT_WAV | SF_FORMAT_PCM_24) {
  SF_INFO info{};
  info.samplerate = static_cast<int>(a.rate);
  info.channels = a.channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (f == nullptr) return false;
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const auto n = static_cast<sf_count_t>(a.frames());
  const bool ok = sf_writef_float(f, a.x.data(), n) == n;
  sf_close(f);
  return ok;
}

}  // namespace lacquer::analysis::test
