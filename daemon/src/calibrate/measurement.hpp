#pragma once
// From a played sweep and its recording to what a room does to it: the impulse response
// (regularised spectral division by the sweep, fftw3), the time of flight, the path's gain,
// the smoothed magnitude response, the harmonic distortion and the noise floor. No JACK here:
// the same analysis runs on signals made offline.

#include <optional>
#include <string>
#include <vector>

#include "sweep.hpp"

namespace lacquer::daemon::calibrate {

/// Levels of the harmonics for fundamentals within one octave band, relative to the
/// fundamental (dB); empty where the harmonic lies above the sweep's end.
struct DistortionBand {
  double freq_hz = 0.0;                   ///< octave band centre of the fundamental
  std::vector<std::optional<double>> harmonic_db;  ///< [0] = 2nd, [1] = 3rd, …
  double thd_percent = 0.0;               ///< of the harmonics that were measurable
};

struct Response {
  double smoothing_octaves = 1.0 / 6.0;
  std::vector<double> freq_hz;
  std::vector<double> level_db;  ///< gain of the path, relative to the level played
};

struct Measurement {
  double sample_rate = 0.0;
  long delay_samples = 0;     ///< onset of the linear impulse response, latency removed
  double delay_ms = 0.0;
  double level_db = 0.0;      ///< mean power gain over 500 Hz–2 kHz
  double input_peak_dbfs = 0.0;
  std::optional<double> noise_rms_dbfs;   ///< nullopt: digital silence
  std::optional<double> noise_peak_dbfs;
  std::optional<double> snr_db;           ///< sweep against noise, RMS; nullopt: no noise
  Response response;
  Response fine;              ///< 1/12-octave smoothing, 20 Hz–1 kHz: what corrections fit
  std::vector<DistortionBand> distortion;
};

/// What the analysis refuses; `message` says what to do.
struct MeasurementError {
  std::string message;
};

/// The signals of one run. `recording` starts at the instant the sweep's first sample was
/// played (JACK's frame time), after `noise` (the input while silence played) was taken.
struct Capture {
  double sample_rate = 0.0;
  std::vector<float> noise;
  std::vector<float> recording;  ///< the sweep's duration and a tail
  long latency_frames = 0;       ///< the ports' playback + capture latency, reported by JACK
};

/// Deconvolves and measures; an error when the input clipped or carries no response.
/// Either a Measurement or a MeasurementError.
struct Analysis {
  std::optional<Measurement> measurement;
  std::optional<MeasurementError> error;
};
Analysis analyse(const SweepSpec& spec, const std::vector<float>& sweep, const Capture& capture);

/// Where the analysis reads the k-th harmonic's response in the deconvolved signal (indices
/// relative to the linear onset's, circular): `at` = onset − L·ln k · rate, from a tenth of the
/// way back to the (k+1)-th to nine tenths of the way on to the (k−1)-th, never into the
/// linear window (which starts `linear_lead` before the onset) nor longer than `max_length`.
struct HarmonicWindow {
  long at = 0;
  long first = 0;
  long last = 0;
  long rise = 0;  ///< samples of the window's half-Hann rise, ending before `at`
};
HarmonicWindow harmonic_window(const SweepSpec& spec, long onset, int k, long linear_lead,
                               long max_length);

/// The impulse response of `recording` to `sweep`, as long as the FFT (a power of two at
/// least as long as the recording): the linear response from index 0, the k-th harmonic's
/// from size − L·ln k · rate. Band-limited to the sweep's range.
std::vector<double> deconvolve(const SweepSpec& spec, const std::vector<float>& sweep,
                               const std::vector<float>& recording);

}  // namespace lacquer::daemon::calibrate
