#include "lacquer/dsp/monitor_path.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "lacquer/dsp/targets.hpp"

namespace lacquer::dsp {

namespace {

// /monitor/preview choices from `spotify` on, in order: the services in targets.hpp.
constexpr std::array<std::string_view, 6> kServiceNames = {"spotify", "apple",  "youtube",
                                                           "tidal",   "deezer", "amazon"};
constexpr int kFirstService = static_cast<int>(MonitorPath::Preview::spotify);

const LoudnessTarget* service_of(MonitorPath::Preview preview) noexcept {
  const int index = static_cast<int>(preview) - kFirstService;
  if (index < 0 || index >= static_cast<int>(kServiceNames.size())) return nullptr;
  return find_target(kServiceNames[static_cast<std::size_t>(index)]);
}

std::uint32_t next_pow2(std::uint32_t n) {
  std::uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

const MonitorPath::SpeakerSet& active_set(const MonitorPath::Params& p) noexcept {
  return p.sets[static_cast<std::size_t>(std::clamp(p.speaker_set, 0, MonitorPath::kSpeakerSets - 1))];
}

// Linear gain of speaker `c`: level, dim, the set's calibration and the speaker's trim; 0 muted.
double speaker_gain(const MonitorPath::Params& p, int c) noexcept {
  if (p.mute) return 0.0;
  const MonitorPath::SpeakerSet& set = active_set(p);
  return db_to_gain(p.level_db + (p.dim ? p.dim_db : 0.0) + set.calibration_db +
                    set.speakers[static_cast<std::size_t>(c)].trim_db);
}

// RMS (linear) of the SPL reference noise on speaker `c`; 0 when it plays elsewhere or not.
double noise_gain(const MonitorPath::Params& p, int c) noexcept {
  const bool here = p.noise != MonitorPath::Noise::off && p.noise_speaker == c;
  return here ? db_to_gain(p.noise_level_db) : 0.0;
}

}  // namespace

void PinkNoise::prepare(double sample_rate) {
  const auto q = [](int k) { return butterworth_section_q(4, k); };
  band_ = {design_biquad(BiquadShape::high_pass, sample_rate, kMidLowHz, q(0), 0.0),
           design_biquad(BiquadShape::high_pass, sample_rate, kMidLowHz, q(1), 0.0),
           design_biquad(BiquadShape::low_pass, sample_rate, kMidHighHz, q(0), 0.0),
           design_biquad(BiquadShape::low_pass, sample_rate, kMidHighHz, q(1), 0.0)};
  // The power gain of white noise's way through each band is the energy of its impulse
  // response (the slowest pole, 0.99886, has decayed by 120 dB well within 2^17 samples).
  double energy[2] = {0.0, 0.0};
  reset();
  for (int i = 0; i < (1 << 17); ++i) {
    const double p = pink(i == 0 ? 1.0 : 0.0);
    energy[0] += p * p;
    const double m = mid(p);
    energy[1] += m * m;
  }
  constexpr double kWhiteVariance = 1.0 / 3.0;  // uniform in [-1, 1]
  for (int b = 0; b < 2; ++b) unit_[b] = 1.0 / std::sqrt(kWhiteVariance * energy[b]);
  reset();
}

void PinkNoise::reset() noexcept {
  k_.fill(0.0);
  for (auto& s : band_state_) s.reset();
}

double PinkNoise::white() noexcept {
  seed_ ^= seed_ << 13;
  seed_ ^= seed_ >> 17;
  seed_ ^= seed_ << 5;
  return 2.0 * static_cast<double>(seed_) / 4294967295.0 - 1.0;
}

double PinkNoise::pink(double w) noexcept {
  k_[0] = 0.99886 * k_[0] + w * 0.0555179;
  k_[1] = 0.99332 * k_[1] + w * 0.0750759;
  k_[2] = 0.96900 * k_[2] + w * 0.1538520;
  k_[3] = 0.86650 * k_[3] + w * 0.3104856;
  k_[4] = 0.55000 * k_[4] + w * 0.5329522;
  k_[5] = -0.7616 * k_[5] - w * 0.0168980;
  const double out = k_[0] + k_[1] + k_[2] + k_[3] + k_[4] + k_[5] + k_[6] + w * 0.5362;
  k_[6] = w * 0.115926;
  return out;
}

double PinkNoise::mid(double x) noexcept {
  for (std::size_t s = 0; s < band_.size(); ++s) x = band_state_[s].process(band_[s], x);
  return x;
}

double PinkNoise::next(Band band, double rms) noexcept {
  const double p = pink(white());
  // The band filters run in both bands, so switching bands does not start them from rest.
  const double m = mid(p);
  return rms * (band == Band::mid ? unit_[1] * m : unit_[0] * p);
}

void MonitorPath::prepare(double sample_rate, std::uint32_t /*max_block*/) {
  sample_rate_ = sample_rate;
  fade_len_ = std::max<std::uint32_t>(1, static_cast<std::uint32_t>(
                                             std::lround(sample_rate * kFadeMs * 1e-3)));
  const std::uint32_t ring = next_pow2(delay_samples(kMaxDelayMs) + 1);
  delay_mask_ = ring - 1;
  for (auto& s : speaker_) {
    s.delay.assign(ring, 0.0);
    s.gain.prepare(sample_rate, kGainGlideMs);
    for (auto& g : s.glide) g.prepare(sample_rate, kCorrectionGlideMs);
  }
  for (auto& w : source_weight_) w.prepare(sample_rate, kFadeMs);
  curve_mix_.prepare(sample_rate, kFadeMs);
  for (auto& m : matrix_) m.prepare(sample_rate, kFadeMs);
  for (auto& g : source_gain_) g.prepare(sample_rate, kLoudnessGainMs);
  noise_.prepare(sample_rate);
  noise_mix_.prepare(sample_rate, kFadeMs);
  for (auto& g : noise_gain_) g.prepare(sample_rate, kFadeMs);
  design_curves();
  reset(params_);
}

std::uint32_t MonitorPath::delay_samples(double ms) const noexcept {
  const double clamped = std::clamp(ms, 0.0, kMaxDelayMs);
  return static_cast<std::uint32_t>(std::lround(clamped * 1e-3 * sample_rate_));
}

void MonitorPath::design_curves() noexcept {
  const double fs = sample_rate_;
  const double q1 = butterworth_section_q(4, 0);
  const double q2 = butterworth_section_q(4, 1);
  auto set = [](Curve& c, bool mono, std::initializer_list<BiquadCoeffs> sections) {
    c.mono = mono;
    c.sections = 0;
    for (const auto& s : sections) c.coeffs[static_cast<std::size_t>(c.sections++)] = s;
  };
  using S = BiquadShape;
  set(curves_[static_cast<int>(Preview::phone)], true,
      {design_biquad(S::high_pass, fs, 600.0, q1, 0.0),
       design_biquad(S::high_pass, fs, 600.0, q2, 0.0),
       design_biquad(S::bell, fs, 2500.0, 1.4, 5.0),
       design_biquad(S::low_pass, fs, 8000.0, kButterworthQ, 0.0)});
  set(curves_[static_cast<int>(Preview::earbuds)], false,
      {design_biquad(S::high_pass, fs, 35.0, kButterworthQ, 0.0),
       design_biquad(S::low_shelf, fs, 120.0, kButterworthQ, 4.0),
       design_biquad(S::bell, fs, 3000.0, 1.2, 3.0),
       design_biquad(S::bell, fs, 8000.0, 2.0, -4.0),
       design_biquad(S::low_pass, fs, 16000.0, kButterworthQ, 0.0)});
  set(curves_[static_cast<int>(Preview::laptop)], false,
      {design_biquad(S::high_pass, fs, 250.0, q1, 0.0),
       design_biquad(S::high_pass, fs, 250.0, q2, 0.0),
       design_biquad(S::bell, fs, 500.0, 1.0, -3.0),
       design_biquad(S::bell, fs, 4000.0, 1.0, 4.0),
       design_biquad(S::low_pass, fs, 12000.0, kButterworthQ, 0.0)});
  set(curves_[static_cast<int>(Preview::car)], false,
      {design_biquad(S::high_pass, fs, 35.0, kButterworthQ, 0.0),
       design_biquad(S::low_shelf, fs, 80.0, kButterworthQ, 6.0),
       design_biquad(S::bell, fs, 300.0, 1.0, -3.0),
       design_biquad(S::high_shelf, fs, 6000.0, kButterworthQ, -5.0)});
}

std::array<double, 4> MonitorPath::matrix(bool mono, bool side_solo, Solo solo) noexcept {
  if (solo == Solo::left) return {1.0, 0.0, 1.0, 0.0};
  if (solo == Solo::right) return {0.0, 1.0, 0.0, 1.0};
  if (side_solo) return {0.5, -0.5, 0.5, -0.5};
  if (mono) return {0.5, 0.5, 0.5, 0.5};
  return {1.0, 0.0, 0.0, 1.0};
}

std::array<double, MonitorPath::kSources> MonitorPath::source_gains_db(const Params& p,
                                                                      const Loudness& l,
                                                                      Compare partner) noexcept {
  std::array<double, kSources> gain{};
  if (const LoudnessTarget* service = service_of(p.preview)) {
    for (int s = 0; s < kSources; ++s) {
      gain[s] = playback_gain_db(*service, l[s].integrated_lufs, l[s].true_peak_dbtp);
    }
  }
  if (p.match) {
    const bool snapshots = p.compare == Compare::a || p.compare == Compare::b;
    const int pair[2] = {snapshots ? static_cast<int>(Compare::a) : static_cast<int>(Compare::chain),
                         snapshots ? static_cast<int>(Compare::b) : static_cast<int>(partner)};
    double heard[2];
    for (int k = 0; k < 2; ++k) {
      const SourceLoudness& m = l[pair[k]];
      heard[k] = (p.match_on == MatchOn::integrated ? m.integrated_lufs : m.short_term_lufs) +
                 gain[pair[k]];
    }
    if (std::isfinite(heard[0]) && std::isfinite(heard[1])) {
      // Both play at the quieter of the two, so matching never raises anything.
      const double reference = std::min(heard[0], heard[1]);
      for (int k = 0; k < 2; ++k) gain[pair[k]] += reference - heard[k];
    }
  }
  return gain;
}

void MonitorPath::reset(const Params& p) noexcept {
  params_ = p;
  follow_partner();
  for (int s = 0; s < kSources; ++s) {
    source_weight_[s].reset(static_cast<int>(p.compare) == s ? 1.0 : 0.0);
  }
  const auto m = matrix(p.mono, p.side_solo, p.solo);
  for (int k = 0; k < 4; ++k) matrix_[k].reset(m[k]);
  curve_ = curve_prev_ = static_cast<int>(p.preview) < kCurves ? static_cast<int>(p.preview) : 0;
  curve_mix_.reset(1.0);
  for (auto& c : curves_) {
    for (auto& ch : c.state) {
      for (auto& st : ch) st.reset();
    }
  }
  source_gain_db_ = source_gains_db(p, loudness_, partner_);
  for (int s = 0; s < kSources; ++s) source_gain_[s].reset(db_to_gain(source_gain_db_[s]));
  noise_.reset();
  if (p.noise != Noise::off) noise_band_ = p.noise == Noise::mid ? PinkNoise::Band::mid : PinkNoise::Band::full;
  noise_mix_.reset(p.noise != Noise::off ? 1.0 : 0.0);
  for (int c = 0; c < 2; ++c) noise_gain_[c].reset(noise_gain(p, c));
  const SpeakerSet& set = active_set(p);
  for (int c = 0; c < 2; ++c) {
    SpeakerState& s = speaker_[c];
    const Speaker& sp = set.speakers[c];
    s.gain.reset(speaker_gain(p, c));
    for (int b = 0; b < kCorrectionBands; ++b) {
      s.glide[b].reset(sp.eq[b].freq_hz, sp.eq[b].q, sp.eq[b].gain_db);
      s.state[b].reset();
      redesign_band(s, b, 0);
    }
    std::fill(s.delay.begin(), s.delay.end(), 0.0);
    s.delay_now = s.delay_next = delay_samples(sp.delay_ms);
    s.delay_fade = 0;
  }
  eq_phase_ = 0;
}

void MonitorPath::redesign_band(SpeakerState& s, int band, std::uint32_t ramp) noexcept {
  const FilterGlide& g = s.glide[band];
  s.ramp[band].set_target(
      design_biquad(BiquadShape::bell, sample_rate_, g.freq_hz(), g.q(), g.gain_db()), ramp);
}

void MonitorPath::set_params(const Params& p) noexcept {
  params_ = p;
  follow_partner();
  update_targets();
}

void MonitorPath::follow_partner() noexcept {
  if (params_.compare == Compare::bypass || params_.compare == Compare::reference) {
    partner_ = params_.compare;
  }
}

void MonitorPath::set_loudness(const Loudness& l) noexcept {
  loudness_ = l;
  update_source_gains();
}

void MonitorPath::update_source_gains() noexcept {
  const auto db = source_gains_db(params_, loudness_, partner_);
  if (db == source_gain_db_) return;
  source_gain_db_ = db;
  for (int s = 0; s < kSources; ++s) source_gain_[s].set_target(db_to_gain(db[s]));
}

void MonitorPath::update_targets() noexcept {
  const Params& p = params_;
  for (int s = 0; s < kSources; ++s) {
    source_weight_[s].set_target(static_cast<int>(p.compare) == s ? 1.0 : 0.0);
  }
  const auto m = matrix(p.mono, p.side_solo, p.solo);
  for (int k = 0; k < 4; ++k) matrix_[k].set_target(m[k]);

  const int wanted = static_cast<int>(p.preview) < kCurves ? static_cast<int>(p.preview) : 0;
  // A new curve starts fading in only once the previous fade has finished.
  if (wanted != curve_ && !curve_mix_.ramping()) {
    curve_prev_ = curve_;
    curve_ = wanted;
    for (auto& ch : curves_[curve_].state) {
      for (auto& st : ch) st.reset();
    }
    curve_mix_.reset(0.0);
    curve_mix_.set_target(1.0);
  }

  update_source_gains();

  // A band switch while the noise plays is heard at once: both bands run all the time.
  if (p.noise != Noise::off) noise_band_ = p.noise == Noise::mid ? PinkNoise::Band::mid : PinkNoise::Band::full;
  noise_mix_.set_target(p.noise != Noise::off ? 1.0 : 0.0);
  for (int c = 0; c < 2; ++c) noise_gain_[c].set_target(noise_gain(p, c));

  const SpeakerSet& set = active_set(p);
  for (int c = 0; c < 2; ++c) {
    SpeakerState& s = speaker_[c];
    const Speaker& sp = set.speakers[c];
    s.gain.set_target(speaker_gain(p, c));
    for (int b = 0; b < kCorrectionBands; ++b) {
      s.glide[b].set_target(sp.eq[b].freq_hz, sp.eq[b].q, sp.eq[b].gain_db);
    }
    const std::uint32_t d = delay_samples(sp.delay_ms);
    if (s.delay_fade == 0 && d != s.delay_now) {
      s.delay_next = d;
      s.delay_fade = 1;
    }
  }
}

double MonitorPath::run_curve(Curve& c, int ch, double x) noexcept {
  for (int k = 0; k < c.sections; ++k) x = c.state[ch][k].process(c.coeffs[k], x);
  return x;
}

double MonitorPath::delay_tap(const SpeakerState& s, std::uint32_t delay) const noexcept {
  return s.delay[(delay_write_ - delay) & delay_mask_];
}

void MonitorPath::process(const Sources& sources, double* const out[2], std::uint32_t n,
                          double* const listen[2]) noexcept {
  // Only sources heard or fading run per sample; the gains of the others keep gliding.
  std::array<int, kSources> playing{};
  int nplaying = 0;
  for (int s = 0; s < kSources; ++s) {
    if (source_weight_[s].current() != 0.0 || source_weight_[s].ramping()) {
      playing[nplaying++] = s;
    } else {
      source_gain_[s].advance(n);
    }
  }
  const double fade_step = 1.0 / static_cast<double>(fade_len_);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (eq_phase_ == 0) {
      for (auto& s : speaker_) {
        for (int b = 0; b < kCorrectionBands; ++b) {
          if (s.glide[b].advance()) redesign_band(s, b, kEqBlock);
        }
      }
    }
    eq_phase_ = (eq_phase_ + 1) % kEqBlock;

    // Compare: each source at its own preview/match gain, crossfaded.
    double x0 = 0.0;
    double x1 = 0.0;
    for (int k = 0; k < nplaying; ++k) {
      const int s = playing[k];
      const double g = source_weight_[s].next() * source_gain_[s].next();
      if (sources[s][0] == nullptr) continue;
      x0 += g * sources[s][0][i];
      x1 += g * sources[s][1][i];
    }
    if (listen != nullptr) {
      listen[0][i] = x0;
      listen[1][i] = x1;
    }

    const double m0 = matrix_[0].next(), m1 = matrix_[1].next();
    const double m2 = matrix_[2].next(), m3 = matrix_[3].next();
    double y[2] = {m0 * x0 + m1 * x1, m2 * x0 + m3 * x1};

    // Translation curve, crossfaded from the previous one while switching.
    const double cw = curve_mix_.next();
    if (curve_ != 0 || curve_prev_ != 0) {
      double z[2][2] = {{y[0], y[1]}, {y[0], y[1]}};  // [new|old][channel]
      const int ids[2] = {curve_, cw < 1.0 ? curve_prev_ : 0};
      for (int k = 0; k < 2; ++k) {
        if (ids[k] == 0) continue;
        Curve& c = curves_[ids[k]];
        if (c.mono) {
          const double mid = run_curve(c, 0, 0.5 * (y[0] + y[1]));
          z[k][0] = z[k][1] = mid;
        } else {
          z[k][0] = run_curve(c, 0, y[0]);
          z[k][1] = run_curve(c, 1, y[1]);
        }
      }
      y[0] = cw * z[0][0] + (1.0 - cw) * z[1][0];
      y[1] = cw * z[0][1] + (1.0 - cw) * z[1][1];
      if (cw >= 1.0) curve_prev_ = curve_;
    }

    // The SPL reference: the noise in place of the program, on its speaker only.
    const double nm = noise_mix_.next();
    const double ng[2] = {noise_gain_[0].next(), noise_gain_[1].next()};
    if (nm != 0.0 || noise_mix_.ramping()) {
      const double unit = noise_.next(noise_band_, 1.0);
      y[0] = (1.0 - nm) * y[0] + ng[0] * unit;
      y[1] = (1.0 - nm) * y[1] + ng[1] * unit;
    }

    for (int c = 0; c < 2; ++c) {
      SpeakerState& s = speaker_[c];
      double v = y[c] * s.gain.next();
      for (int b = 0; b < kCorrectionBands; ++b) v = s.state[b].process(s.ramp[b].next(), v);
      s.delay[delay_write_] = v;
      if (s.delay_fade == 0) {
        out[c][i] = delay_tap(s, s.delay_now);
      } else {
        const double t = static_cast<double>(s.delay_fade) * fade_step;
        out[c][i] = (1.0 - t) * delay_tap(s, s.delay_now) + t * delay_tap(s, s.delay_next);
        if (++s.delay_fade > fade_len_) {
          s.delay_now = s.delay_next;
          s.delay_fade = 0;
        }
      }
    }
    delay_write_ = (delay_write_ + 1) & delay_mask_;
  }
}

}  // namespace lacquer::dsp
