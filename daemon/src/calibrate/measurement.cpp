#include "measurement.hpp"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <memory>
#include <numbers>

namespace lacquer::daemon::calibrate {

namespace {

constexpr int kMaxHarmonic = 5;
// A sample at or above this magnitude is taken as the converter's clip level.
constexpr double kClipLevel = 0.999;
// The sweep must stand this far above the noise (RMS) to be a response at all.
constexpr double kMinSnrDb = 10.0;

double db20(double x) { return 20.0 * std::log10(x); }

std::size_t next_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// One real FFT size with its buffers and both plans.
class RealFft {
 public:
  explicit RealFft(std::size_t n)
      : n_(n), time_(fftw_alloc_real(n)), freq_(fftw_alloc_complex(n / 2 + 1)) {
    forward_ = fftw_plan_dft_r2c_1d(static_cast<int>(n), time_, freq_, FFTW_ESTIMATE);
    inverse_ = fftw_plan_dft_c2r_1d(static_cast<int>(n), freq_, time_, FFTW_ESTIMATE);
  }
  ~RealFft() {
    fftw_destroy_plan(forward_);
    fftw_destroy_plan(inverse_);
    fftw_free(time_);
    fftw_free(freq_);
  }
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  std::size_t size() const { return n_; }
  std::size_t bins() const { return n_ / 2 + 1; }
  double* time() { return time_; }
  std::complex<double>* freq() { return reinterpret_cast<std::complex<double>*>(freq_); }
  void forward() { fftw_execute(forward_); }
  void inverse() { fftw_execute(inverse_); }

  // Spectrum of `x` zero-padded to the size.
  std::vector<std::complex<double>> spectrum_of(const float* x, std::size_t len) {
    std::fill(time_, time_ + n_, 0.0);
    std::copy(x, x + std::min(len, n_), time_);
    forward();
    return {freq(), freq() + bins()};
  }

 private:
  std::size_t n_;
  double* time_;
  fftw_complex* freq_;
  fftw_plan forward_;
  fftw_plan inverse_;
};

// 1 inside the sweep's range, a half-cosine down to 0 an octave below f1 (the fade-in still
// plays there, 15 dB down at f1/2) and over the last 1/24 octave up to f2. Above f2 the sweep's
// spectrum falls 60-100 dB within a tenth, so dividing there would lift whatever the
// microphone brings (the 2nd harmonic of the sweep's top half, noise) into a blob near the
// 2nd harmonic's place, louder than the harmonic itself.
double band_weight(const SweepSpec& spec, double f) {
  const double lo = spec.f1_hz * 0.5;
  const double hi = std::min(spec.f2_hz, spec.sample_rate * 0.5);
  const double top = hi * std::exp2(-1.0 / 24.0);
  if (f <= lo || f >= hi) return 0.0;
  if (f < spec.f1_hz) return 0.5 - 0.5 * std::cos(std::numbers::pi * (f - lo) / (spec.f1_hz - lo));
  if (f > top) return 0.5 + 0.5 * std::cos(std::numbers::pi * (f - top) / (hi - top));
  return 1.0;
}

std::size_t wrap(long i, std::size_t n) {
  const long m = static_cast<long>(n);
  return static_cast<std::size_t>(((i % m) + m) % m);
}

// Power spectrum (|H|² per bin) of h[first .. last] (circular indices) under a window rising
// over `rise` samples and falling over `fall` (half-Hann each).
std::vector<double> windowed_power(RealFft& fft, const std::vector<double>& h, long first,
                                   long last, long rise, long fall) {
  const std::size_t n = fft.size();
  std::fill(fft.time(), fft.time() + n, 0.0);
  const long len = last - first + 1;
  for (long i = 0; i < len; ++i) {
    double w = 1.0;
    if (i < rise) w = 0.5 - 0.5 * std::cos(std::numbers::pi * i / rise);
    if (len - 1 - i < fall) w = 0.5 - 0.5 * std::cos(std::numbers::pi * (len - 1 - i) / fall);
    const std::size_t at = wrap(first + i, n);
    fft.time()[at] = h[at] * w;
  }
  fft.forward();
  std::vector<double> p(fft.bins());
  for (std::size_t b = 0; b < p.size(); ++b) p[b] = std::norm(fft.freq()[b]);
  return p;
}

// Mean of the power bins between lo and hi Hz (the nearest bin when none lies between).
double band_mean(const std::vector<double>& power, double bin_hz, double lo, double hi) {
  auto first = static_cast<std::size_t>(std::ceil(lo / bin_hz));
  auto last = static_cast<std::size_t>(std::floor(hi / bin_hz));
  last = std::min(last, power.size() - 1);
  if (first > last) {
    const auto nearest = std::min(static_cast<std::size_t>(std::lround(0.5 * (lo + hi) / bin_hz)),
                                  power.size() - 1);
    return power[nearest];
  }
  double sum = 0.0;
  for (std::size_t b = first; b <= last; ++b) sum += power[b];
  return sum / static_cast<double>(last - first + 1);
}

// Power-averaged over `width_oct` around points 1 kHz · 2^(n / points_per_octave) in [lo, hi].
Response smoothed(const std::vector<double>& power, double bin_hz, double width_oct,
                  int points_per_octave, double lo, double hi) {
  Response r;
  r.smoothing_octaves = width_oct;
  const int first = static_cast<int>(std::ceil(points_per_octave * std::log2(lo / 1000.0) - 1e-9));
  const int last = static_cast<int>(std::floor(points_per_octave * std::log2(hi / 1000.0) + 1e-9));
  const double half = std::exp2(0.5 * width_oct);
  for (int n = first; n <= last; ++n) {
    const double f = 1000.0 * std::exp2(static_cast<double>(n) / points_per_octave);
    r.freq_hz.push_back(f);
    r.level_db.push_back(10.0 * std::log10(band_mean(power, bin_hz, f / half, f * half) + 1e-30));
  }
  return r;
}

std::string dbfs_text(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f dBFS", db20(std::max(x, 1e-10)));
  return text;
}

}  // namespace

std::vector<double> deconvolve(const SweepSpec& spec, const std::vector<float>& sweep,
                               const std::vector<float>& recording) {
  RealFft fft(next_pow2(std::max(recording.size(), sweep.size())));
  const auto x = fft.spectrum_of(sweep.data(), sweep.size());
  const auto y = fft.spectrum_of(recording.data(), recording.size());
  double max_x = 0.0;
  for (const auto& v : x) max_x = std::max(max_x, std::norm(v));
  // Keeps the division finite where the sweep has (next to) no energy; far below the sweep's
  // energy anywhere in its range (it falls 3 dB per octave, 30 dB over 20 Hz–20 kHz).
  const double eps = 1e-10 * max_x;
  const double bin_hz = spec.sample_rate / static_cast<double>(fft.size());
  auto* out = fft.freq();
  for (std::size_t b = 0; b < fft.bins(); ++b) {
    const double w = band_weight(spec, static_cast<double>(b) * bin_hz);
    out[b] = w == 0.0 ? std::complex<double>{} : w * y[b] * std::conj(x[b]) / (std::norm(x[b]) + eps);
  }
  fft.inverse();
  std::vector<double> h(fft.time(), fft.time() + fft.size());
  for (auto& v : h) v /= static_cast<double>(fft.size());
  return h;
}

HarmonicWindow harmonic_window(const SweepSpec& spec, long onset, int k, long linear_lead,
                               long max_length) {
  const double fs = spec.sample_rate;
  const double to_next = (harmonic_advance_s(spec, k + 1) - harmonic_advance_s(spec, k)) * fs;
  const double to_previous = (harmonic_advance_s(spec, k) - harmonic_advance_s(spec, k - 1)) * fs;
  HarmonicWindow w;
  w.at = onset - std::lround(harmonic_advance_s(spec, k) * fs);
  const auto lead = static_cast<long>(0.1 * to_next);
  w.first = w.at - lead;
  w.last = w.at + static_cast<long>(0.9 * to_previous);
  if (k == 2) w.last = std::min(w.last, onset - linear_lead - 1);
  w.last = std::min(w.last, w.first + max_length);
  w.rise = lead / 2;
  return w;
}

Analysis analyse(const SweepSpec& spec, const std::vector<float>& sweep, const Capture& capture) {
  Analysis result;
  const double fs = capture.sample_rate;
  Measurement m;
  m.sample_rate = fs;

  double peak = 0.0;
  double signal_energy = 0.0;
  for (std::size_t i = 0; i < capture.recording.size(); ++i) {
    const double v = capture.recording[i];
    peak = std::max(peak, std::abs(v));
    if (i < sweep.size()) signal_energy += v * v;
  }
  double noise_peak = 0.0;
  double noise_energy = 0.0;
  for (const float sample : capture.noise) {
    const double v = sample;
    noise_peak = std::max(noise_peak, std::abs(v));
    noise_energy += v * v;
  }
  m.input_peak_dbfs = db20(std::max(std::max(peak, noise_peak), 1e-10));
  if (std::max(peak, noise_peak) >= kClipLevel) {
    result.error = MeasurementError{"the input clipped (peak " + dbfs_text(std::max(peak, noise_peak)) +
                                    "): lower --level or the microphone's gain"};
    return result;
  }
  const double signal_rms = std::sqrt(signal_energy / std::max<std::size_t>(sweep.size(), 1));
  const double noise_rms =
      std::sqrt(noise_energy / std::max<std::size_t>(capture.noise.size(), 1));
  if (noise_rms > 0.0) {
    m.noise_rms_dbfs = db20(noise_rms);
    m.noise_peak_dbfs = db20(noise_peak);
    m.snr_db = db20(std::max(signal_rms, 1e-10) / noise_rms);
  }
  if (signal_rms == 0.0 || (m.snr_db && *m.snr_db < kMinSnrDb)) {
    result.error = MeasurementError{
        "no response above the noise floor (input " + dbfs_text(signal_rms) + " RMS during the sweep, " +
        dbfs_text(noise_rms) + " RMS in silence): check the microphone, its port and its gain"};
    return result;
  }

  const auto h = deconvolve(spec, sweep, capture.recording);
  const std::size_t n = h.size();
  const double bin_hz = fs / static_cast<double>(n);

  // The direct sound: the largest peak among the samples recorded after the sweep began, and
  // its onset the first sample before it reaching half its height (a woofer's slower rise).
  const std::size_t search = capture.recording.size() - std::min(capture.recording.size(), sweep.size() / 2);
  std::size_t peak_at = 0;
  for (std::size_t i = 0; i < search; ++i) {
    if (std::abs(h[i]) > std::abs(h[peak_at])) peak_at = i;
  }
  std::size_t onset = peak_at;
  const auto lookback = static_cast<std::size_t>(0.005 * fs);
  for (std::size_t i = peak_at > lookback ? peak_at - lookback : 0; i < peak_at; ++i) {
    if (std::abs(h[i]) >= 0.5 * std::abs(h[peak_at])) {
      onset = i;
      break;
    }
  }
  m.delay_samples = static_cast<long>(onset) - capture.latency_frames;
  m.delay_ms = 1000.0 * static_cast<double>(m.delay_samples) / fs;

  // The linear response: from a little before the onset (the band limit's symmetric spread)
  // for half a second, which holds a room's modes; never reaching the 2nd harmonic's part.
  RealFft fft(n);
  const double advance2 = harmonic_advance_s(spec, 2) * fs;
  const auto pre = static_cast<long>(std::min(0.05 * fs, 0.25 * advance2));
  const auto length = static_cast<long>(0.5 * fs);
  const long start = static_cast<long>(onset) - pre;
  const auto linear = windowed_power(fft, h, start, start + pre + length, pre / 2, length / 4);

  m.level_db = 10.0 * std::log10(band_mean(linear, bin_hz, 500.0, 2000.0) + 1e-30);
  m.response = smoothed(linear, bin_hz, 1.0 / 6.0, 24, spec.f1_hz, spec.f2_hz);
  m.fine = smoothed(linear, bin_hz, 1.0 / 12.0, 48, spec.f1_hz, std::min(spec.f2_hz, 2000.0));

  std::vector<std::vector<double>> harmonic_power;
  for (int k = 2; k <= kMaxHarmonic; ++k) {
    const auto w = harmonic_window(spec, static_cast<long>(onset), k, pre, length);
    // Flat over the harmonic's impulse: the rise ends before it.
    harmonic_power.push_back(windowed_power(fft, h, w.first, w.last, w.rise, (w.last - w.first) / 4));
  }
  for (double f = 62.5; f <= 4000.0; f *= 2.0) {
    const double lo = f / std::numbers::sqrt2;
    const double hi = f * std::numbers::sqrt2;
    if (lo < spec.f1_hz) continue;
    DistortionBand band;
    band.freq_hz = f;
    const double fundamental = band_mean(linear, bin_hz, lo, hi);
    double sum = 0.0;
    for (int k = 2; k <= kMaxHarmonic; ++k) {
      if (k * hi > spec.f2_hz) {
        band.harmonic_db.emplace_back();
        continue;
      }
      const double ratio = band_mean(harmonic_power[k - 2], bin_hz, k * lo, k * hi) / fundamental;
      sum += ratio;
      band.harmonic_db.emplace_back(10.0 * std::log10(ratio + 1e-30));
    }
    band.thd_percent = 100.0 * std::sqrt(sum);
    m.distortion.push_back(std::move(band));
  }
  result.measurement = std::move(m);
  return result;
}

}  // namespace lacquer::daemon::calibrate
