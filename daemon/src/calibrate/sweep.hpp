#pragma once
// The exponential (Farina) sine sweep and what follows from its shape: the instantaneous
// frequency grows by the same ratio every second, so the k-th harmonic of the response is the
// sweep itself advanced by L·ln k (L = T / ln(f2/f1)), and deconvolution places each
// harmonic's response that long before the linear one.

#include <vector>

namespace lacquer::daemon::calibrate {

struct SweepSpec {
  double sample_rate = 48000.0;
  double f1_hz = 20.0;
  double f2_hz = 20000.0;
  double duration_s = 5.0;
  double level_dbfs = -20.0;  ///< the sine's peak
  double fade_in_ms = 50.0;   ///< half-Hann; a cycle at 20 Hz, so the start does not click
  double fade_out_ms = 5.0;
};

/// x(t) = A sin(2π f1 L (e^{t/L} − 1)), faded in and out.
std::vector<float> exponential_sweep(const SweepSpec& spec);

/// L = T / ln(f2/f1): seconds per neper of frequency.
double sweep_time_constant_s(const SweepSpec& spec) noexcept;

/// How far before the linear response the k-th harmonic's response lies: L·ln k seconds.
double harmonic_advance_s(const SweepSpec& spec, int k) noexcept;

}  // namespace lacquer::daemon::calibrate
