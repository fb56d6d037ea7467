#include "lacquer/dsp/meters.hpp"

#include <algorithm>

#include "lacquer/dsp/smoother.hpp"

namespace lacquer::dsp {

double plr_db(double true_peak_dbtp, double integrated_lufs) noexcept {
  if (!std::isfinite(true_peak_dbtp) || !std::isfinite(integrated_lufs)) return 0.0;
  return true_peak_dbtp - integrated_lufs;
}

void PeakMeter::prepare(double sample_rate) noexcept {
  fall_per_sample_ = db_to_gain(-kFallDbPerS / sample_rate);
  reset();
}

void PeakMeter::reset() noexcept {
  detector_.reset();
  sample_ = sample_max_ = true_ = true_max_ = {};
}

void PeakMeter::process(const double* left, const double* right, std::uint32_t n) noexcept {
  const double fall = fall_per_sample_;
  std::array<double, 2> sp = sample_, sp_max = sample_max_, tp = true_, tp_max = true_max_;
  for (std::uint32_t i = 0; i < n; ++i) {
    const simd::f64x2 t = detector_.push_each(left[i], right[i]);
    const double s[2] = {std::fabs(left[i]), std::fabs(right[i])};
    for (int c = 0; c < 2; ++c) {
      sp[c] = std::max(sp[c] * fall, s[c]);
      tp[c] = std::max(tp[c] * fall, t[c]);
      sp_max[c] = std::max(sp_max[c], s[c]);
      tp_max[c] = std::max(tp_max[c], t[c]);
    }
  }
  sample_ = sp;
  sample_max_ = sp_max;
  true_ = tp;
  true_max_ = tp_max;
}

void CorrelationMeter::prepare(double sample_rate) noexcept {
  coef_ = 1.0 - std::exp(-1.0 / (kTimeConstantMs * 1e-3 * sample_rate));
  reset();
}

void CorrelationMeter::reset() noexcept {
  lr_ = ll_ = rr_ = 0.0;
  minimum_ = 1.0;
}

void CorrelationMeter::process(const double* left, const double* right,
                               std::uint32_t n) noexcept {
  double lr = lr_, ll = ll_, rr = rr_;
  const double a = coef_;
  for (std::uint32_t i = 0; i < n; ++i) {
    lr += a * (left[i] * right[i] - lr);
    ll += a * (left[i] * left[i] - ll);
    rr += a * (right[i] * right[i] - rr);
  }
  lr_ = lr, ll_ = ll, rr_ = rr;
  if (ll_ * rr_ > 0.0) minimum_ = std::min(minimum_, correlation());
}

double CorrelationMeter::correlation() const noexcept {
  // Below about -140 dBFS on either side there is no signal to correlate.
  constexpr double kSilence = 1e-14;
  if (ll_ < kSilence || rr_ < kSilence) return 0.0;
  return std::clamp(lr_ / std::sqrt(ll_ * rr_), -1.0, 1.0);
}

void ProgramMeter::prepare(double sample_rate, std::uint32_t max_block) {
  loudness_.prepare(sample_rate, max_block);
  peaks_.prepare(sample_rate);
  correlation_.prepare(sample_rate);
  reading_ = MeterReading{};
}

void ProgramMeter::reset() {
  loudness_.reset();
  peaks_.reset();
  correlation_.reset();
  reading_ = MeterReading{};
}

void PeakMeter::restart() noexcept { sample_max_ = true_max_ = {}; }

void CorrelationMeter::restart() noexcept { minimum_ = 1.0; }

void ProgramMeter::restart() noexcept {
  loudness_.restart();
  peaks_.restart();
  correlation_.restart();
}

void ProgramMeter::process(const double* left, const double* right, std::uint32_t n) noexcept {
  loudness_.process(left, right, n);
  peaks_.process(left, right, n);
  correlation_.process(left, right, n);

  MeterReading& r = reading_;
  r.loudness = loudness_.reading();
  for (int c = 0; c < 2; ++c) {
    r.sample_peak_dbfs[c] = gain_to_db(peaks_.sample_peak()[c]);
    r.sample_peak_max_dbfs[c] = gain_to_db(peaks_.sample_peak_max()[c]);
    r.true_peak_dbtp[c] = gain_to_db(peaks_.true_peak()[c]);
    r.true_peak_max_dbtp[c] = gain_to_db(peaks_.true_peak_max()[c]);
  }
  r.plr_db = plr_db(std::max(r.true_peak_max_dbtp[0], r.true_peak_max_dbtp[1]),
                    r.loudness.integrated_lufs);
  r.correlation = correlation_.correlation();
  r.correlation_min = correlation_.minimum();
}

}  // namespace lacquer::dsp
