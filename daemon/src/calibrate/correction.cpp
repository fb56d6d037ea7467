#include "correction.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

#include "lacquer/dsp/biquad.hpp"

namespace lacquer::daemon::calibrate {

namespace {

constexpr double kMinQ = 0.5;
constexpr double kMaxCutQ = 12.0;
// Broad boosts only: a narrow dip is a cancellation at the microphone, not a lack of energy.
constexpr double kMaxBoostQ = 3.0;

struct Fit {
  CorrectionBand band;
  double error = 0.0;
};

// Squared error of deviation + band over the points within an octave of the band's start,
// leaving out nulls (deeper than `null_db`): no band is there to fill them.
double fit_error(const CorrectionBand& b, const std::vector<double>& freq,
                 const std::vector<double>& dev, double fs, double centre_hz, double null_db) {
  double e = 0.0;
  for (std::size_t i = 0; i < freq.size(); ++i) {
    if (freq[i] < centre_hz / 2.0 || freq[i] > centre_hz * 2.0 || dev[i] < -null_db) continue;
    const double r = dev[i] + bell_gain_db(b, fs, freq[i]);
    e += r * r;
  }
  return e;
}

// Pattern search over log frequency, gain and log Q from `start`, within the bounds; a boost's
// centre never moves onto a null.
CorrectionBand refine(CorrectionBand start, const std::vector<double>& freq,
                      const std::vector<double>& dev, const std::vector<bool>& null, double fs,
                      double min_gain, double max_gain, double max_q, const CorrectionLimits& limits) {
  const double centre = start.freq_hz;
  const double max_freq = limits.max_freq_hz;
  const double null_db = limits.null_depth_db;
  const auto on_null = [&](double f) {
    const auto at = std::lower_bound(freq.begin(), freq.end(), f) - freq.begin();
    return static_cast<std::size_t>(at) < freq.size() && null[static_cast<std::size_t>(at)];
  };
  Fit best{start, fit_error(start, freq, dev, fs, centre, null_db)};
  double step_oct = 1.0 / 12.0;
  double step_db = 1.0;
  double step_q = 0.25;  // in octaves of Q
  for (int round = 0; round < 200 && step_db > 0.01; ++round) {
    bool improved = false;
    for (int axis = 0; axis < 3; ++axis) {
      for (const double sign : {-1.0, 1.0}) {
        CorrectionBand c = best.band;
        if (axis == 0) c.freq_hz = std::min(c.freq_hz * std::exp2(sign * step_oct), max_freq);
        if (axis == 1) c.gain_db = std::clamp(c.gain_db + sign * step_db, min_gain, max_gain);
        if (axis == 2) c.q = std::clamp(c.q * std::exp2(sign * step_q), kMinQ, max_q);
        if (c.gain_db > 0.0 && on_null(c.freq_hz)) continue;
        const double e = fit_error(c, freq, dev, fs, centre, null_db);
        if (e < best.error) {
          best = {c, e};
          improved = true;
        }
      }
    }
    if (!improved) {
      step_oct /= 2.0;
      step_db /= 2.0;
      step_q /= 2.0;
    }
  }
  return best.band;
}

// Q from the width between the points where the deviation falls to half its extreme (in dB):
// for an RBJ bell, Q = f0 / (f_hi − f_lo) at those points.
double width_q(const std::vector<double>& freq, const std::vector<double>& dev, std::size_t at) {
  const double half = 0.5 * dev[at];
  std::size_t lo = at;
  while (lo > 0 && std::abs(dev[lo]) > std::abs(half) && dev[lo] * half > 0) --lo;
  std::size_t hi = at;
  while (hi + 1 < freq.size() && std::abs(dev[hi]) > std::abs(half) && dev[hi] * half > 0) ++hi;
  if (hi == lo) return 1.0;
  return freq[at] / (freq[hi] - freq[lo]);
}

}  // namespace

double bell_gain_db(const CorrectionBand& band, double sample_rate, double freq_hz) {
  const auto c = dsp::design_biquad(dsp::BiquadShape::bell, sample_rate, band.freq_hz, band.q,
                                    band.gain_db);
  const std::complex<double> z1 = std::polar(1.0, -2.0 * std::numbers::pi * freq_hz / sample_rate);
  const auto h = (c.b0 + c.b1 * z1 + c.b2 * z1 * z1) / (1.0 + c.a1 * z1 + c.a2 * z1 * z1);
  return 20.0 * std::log10(std::abs(h));
}

std::vector<CorrectionBand> design_correction(const Response& response, double target_db,
                                              double sample_rate, const CorrectionLimits& limits) {
  const auto& freq = response.freq_hz;
  std::vector<double> dev(freq.size());
  for (std::size_t i = 0; i < freq.size(); ++i) dev[i] = response.level_db[i] - target_db;
  std::vector<bool> null(freq.size(), false);  // dips found too deep or narrow to boost

  std::vector<CorrectionBand> bands;
  while (static_cast<int>(bands.size()) < limits.max_bands) {
    std::size_t peak = freq.size();
    std::size_t dip = freq.size();
    for (std::size_t i = 0; i < freq.size() && freq[i] <= limits.max_freq_hz; ++i) {
      if (freq[i] < limits.min_freq_hz) continue;
      if (dev[i] > limits.threshold_db && (peak == freq.size() || dev[i] > dev[peak])) peak = i;
      if (!null[i] && dev[i] < -limits.threshold_db && (dip == freq.size() || dev[i] < dev[dip])) {
        dip = i;
      }
    }
    CorrectionBand band;
    if (peak != freq.size()) {
      band = refine({freq[peak], -dev[peak], width_q(freq, dev, peak)}, freq, dev, null,
                    sample_rate, -limits.max_cut_db, 0.0, kMaxCutQ, limits);
    } else if (dip != freq.size()) {
      const double q = width_q(freq, dev, dip);
      if (-dev[dip] > limits.null_depth_db || q > kMaxBoostQ) {
        // A null: leave it alone, with the whole dip around it (down to the threshold).
        null[dip] = true;
        for (std::size_t i = dip; i > 0 && dev[i - 1] < -limits.threshold_db; --i) null[i - 1] = true;
        for (std::size_t i = dip + 1; i < freq.size() && dev[i] < -limits.threshold_db; ++i) {
          null[i] = true;
        }
        continue;
      }
      band = refine({freq[dip], std::min(-dev[dip], limits.max_boost_db), q}, freq, dev, null,
                    sample_rate, 0.0, limits.max_boost_db, kMaxBoostQ, limits);
    } else {
      break;
    }
    if (std::abs(band.gain_db) < 0.5 * limits.threshold_db) break;  // nothing left to gain
    for (std::size_t i = 0; i < freq.size(); ++i) dev[i] += bell_gain_db(band, sample_rate, freq[i]);
    bands.push_back(band);
  }
  return bands;
}

}  // namespace lacquer::daemon::calibrate
