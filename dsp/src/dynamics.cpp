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

template <typename V>
void set_pair(V& v, int pair, double value) noexcept {
  v[2 * pair] = static_cast<simd::lane_t<V>>(value);
  v[2 * pair + 1] = static_cast<simd::lane_t<V>>(value);
}

}  // namespace

double static_gain_reduction_db(double level_db, double threshold_db, double slope,
                                double knee_db) noexcept {
  using simd::f64x2;
  using simd::splat;
  return static_gain_reduction_db<f64x2>(splat<f64x2>(level_db), splat<f64x2>(threshold_db),
                                         splat<f64x2>(slope), splat<f64x2>(knee_db),
                                         splat<f64x2>(0.5 / knee_db))[0];
}

template <typename V>
void Dynamics<V>::prepare(double sample_rate) noexcept {
  sample_rate_ = sample_rate;
  level_fall_ = simd::splat<V>(std::pow(10.0, -kLevelFallDbPerS / (10.0 * sample_rate)));
  for (int k = 0; k < kPairs; ++k) {
    threshold_glide_[k].prepare(sample_rate, kCurveGlideMs);
    slope_glide_[k].prepare(sample_rate, kCurveGlideMs);
    knee_glide_[k].prepare(sample_rate, kCurveGlideMs);
  }
}

template <typename V>
void Dynamics<V>::reset(int pair, const DynamicsSettings& s, Detector detector,
                        double link_pct) noexcept {
  set(pair, s, detector, link_pct);
  threshold_glide_[pair].reset(s.threshold_db);
  slope_glide_[pair].reset(slope_of(s.ratio));
  knee_glide_[pair].reset(std::max(s.knee_db, 0.0));
  load_curve();
  set_pair(power_, pair, 0.0);
  set_pair(held_power_, pair, 0.0);
  set_pair(gr_db_, pair, 0.0);
}

template <typename V>
double Dynamics<V>::detector_level_db(int pair) const noexcept {
  const double power = std::max(static_cast<double>(held_power_[2 * pair]),
                                static_cast<double>(held_power_[2 * pair + 1]));
  return 10.0 * std::log10(std::max(power, 1e-31));
}

template <typename V>
void Dynamics<V>::set(int pair, const DynamicsSettings& s, Detector detector,
                      double link_pct) noexcept {
  threshold_glide_[pair].set_target(s.threshold_db);
  slope_glide_[pair].set_target(slope_of(s.ratio));
  knee_glide_[pair].set_target(std::max(s.knee_db, 0.0));
  set_pair(attack_coef_, pair, one_pole_coef(s.attack_ms, sample_rate_));
  set_pair(release_coef_, pair, one_pole_coef(s.release_ms, sample_rate_));
  set_pair(rms_coef_, pair,
           detector == Detector::rms ? one_pole_coef(kRmsWindowMs, sample_rate_) : 0.0);
  set_pair(curve_.link, pair, std::clamp(link_pct, 0.0, 100.0) * 0.01);
  load_curve();
}

template <typename V>
void Dynamics<V>::glide() noexcept {
  for (int k = 0; k < kPairs; ++k) {
    threshold_glide_[k].next();
    slope_glide_[k].next();
    knee_glide_[k].next();
  }
  load_curve();
}

template <typename V>
void Dynamics<V>::load_curve() noexcept {
  gliding_ = false;
  for (int k = 0; k < kPairs; ++k) {
    gliding_ = gliding_ || threshold_glide_[k].ramping() || slope_glide_[k].ramping() ||
               knee_glide_[k].ramping();
  }
  for (int k = 0; k < kPairs; ++k) {
    const double threshold = threshold_glide_[k].current();
    const double slope = slope_glide_[k].current();
    const double knee = knee_glide_[k].current();
    set_pair(curve_.threshold_db, k, threshold);
    set_pair(curve_.slope, k, slope);
    set_pair(curve_.knee_db, k, knee);
    set_pair(curve_.half_inv_knee, k, 0.5 / knee);
    // While the curve glides the log is taken for every level (the curve still gives 0 below
    // the knee) rather than a power of ten per sample; with slope 0 (ratio 1) it never is.
    double floor = 0.0;
    if (slope == 0.0) {
      floor = std::numeric_limits<double>::infinity();
    } else if (!gliding_) {
      floor = std::pow(10.0, (threshold - 0.5 * knee) / 10.0);
    }
    set_pair(floor_power_, k, floor);
  }
}

template class Dynamics<simd::f64x2>;
template class Dynamics<simd::f32x8>;

}  // namespace lacquer::dsp
