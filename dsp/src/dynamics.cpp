#include "lacquer/dsp/dynamics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lacquer::dsp {

namespace {

double one_pole_coef(double time_ms, double sample_rate) noexcept {
  const double samples = std::max(time_ms, 1e-3) * 1e-3 * sample_rate;
  return std::exp(-1.0 / samples);
}

double slope_of(double ratio) noexcept { return 1.0 - 1.0 / std::clamp(ratio, 1.0, 100.0); }

}  // namespace

void Dynamics::prepare(double sample_rate) noexcept {
  sample_rate_ = sample_rate;
  threshold_db_.prepare(sample_rate, kCurveGlideMs);
  slope_.prepare(sample_rate, kCurveGlideMs);
  knee_db_.prepare(sample_rate, kCurveGlideMs);
  rms_coef_ = one_pole_coef(kRmsWindowMs, sample_rate);
}

void Dynamics::reset(const DynamicsSettings& s, Detector detector, double link_pct) noexcept {
  set(s, detector, link_pct);
  threshold_db_.reset(s.threshold_db);
  slope_.reset(slope_of(s.ratio));
  knee_db_.reset(std::max(s.knee_db, 0.0));
  update_floor();
  power_[0] = power_[1] = 0.0;
  gr_db_[0] = gr_db_[1] = 0.0;
}

void Dynamics::set(const DynamicsSettings& s, Detector detector, double link_pct) noexcept {
  threshold_db_.set_target(s.threshold_db);
  slope_.set_target(slope_of(s.ratio));
  knee_db_.set_target(std::max(s.knee_db, 0.0));
  attack_coef_ = one_pole_coef(s.attack_ms, sample_rate_);
  release_coef_ = one_pole_coef(s.release_ms, sample_rate_);
  detector_ = detector;
  link_ = std::clamp(link_pct, 0.0, 100.0) * 0.01;
}

void Dynamics::update_floor() noexcept {
  // Below T - W/2 the curve gives no reduction, so the log of the level is not needed there;
  // with slope 0 (ratio 1) it never is.
  floor_power_ = slope_.current() == 0.0
                     ? std::numeric_limits<double>::infinity()
                     : std::pow(10.0, (threshold_db_.current() - 0.5 * knee_db_.current()) / 10.0);
}

void Dynamics::process(double sc_left, double sc_right, double& gr_left_db,
                       double& gr_right_db) noexcept {
  if (threshold_db_.ramping() || slope_.ramping() || knee_db_.ramping()) {
    threshold_db_.next();
    slope_.next();
    knee_db_.next();
    update_floor();
  }
  const double x[2] = {sc_left, sc_right};
  double target[2];
  for (int c = 0; c < 2; ++c) {
    double power = x[c] * x[c];
    if (detector_ == Detector::rms) {
      power_[c] = power + rms_coef_ * (power_[c] - power);
      power = power_[c];
    }
    target[c] = power > floor_power_
                    ? static_gain_reduction_db(power_to_db(power), threshold_db_.current(),
                                               slope_.current(), knee_db_.current())
                    : 0.0;
  }
  const double linked = std::max(target[0], target[1]);
  for (int c = 0; c < 2; ++c) {
    const double t = target[c] + link_ * (linked - target[c]);
    const double coef = t > gr_db_[c] ? attack_coef_ : release_coef_;
    double gr = t + coef * (gr_db_[c] - t);
    // End the release's exponential tail at a reduction no meter shows, so that a
    // compressor at rest returns to unity gain exactly (and never reaches denormals).
    if (t == 0.0 && gr < 1e-9) gr = 0.0;
    gr_db_[c] = gr;
  }
  gr_left_db = gr_db_[0];
  gr_right_db = gr_db_[1];
}

}  // namespace lacquer::dsp
