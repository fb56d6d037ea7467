#include "lacquer/dsp/eq_stage.hpp"

#include <algorithm>

namespace lacquer::dsp {

namespace {

// Values the glides and designs can take (the log glide needs positive frequency and Q).
EqStage::Band sanitise(EqStage::Band band, double sample_rate) noexcept {
  band.freq_hz = std::clamp(band.freq_hz, 1.0, 0.49 * sample_rate);
  band.q = std::clamp(band.q, 0.025, 100.0);
  band.gain_db = std::clamp(band.gain_db, -48.0, 48.0);
  band.slope_db_oct = 12 * std::clamp((band.slope_db_oct + 6) / 12, 1, 4);
  return band;
}

bool same_structure(const EqStage::Band& a, const EqStage::Band& b) noexcept {
  if (a.type != b.type || a.mode != b.mode) return false;
  const bool pass = a.type == EqType::high_pass || a.type == EqType::low_pass;
  return !pass || a.slope_db_oct == b.slope_db_oct;
}

// Designs the sections of a band; returns how many there are.
int design_band(EqType type, int slope_db_oct, double sample_rate, double freq_hz, double q,
                double gain_db, BiquadCoeffs* out) noexcept {
  switch (type) {
    case EqType::bell:
      out[0] = design_biquad(BiquadShape::bell, sample_rate, freq_hz, q, gain_db);
      return 1;
    case EqType::low_shelf:
      out[0] = design_biquad(BiquadShape::low_shelf, sample_rate, freq_hz, q, gain_db);
      return 1;
    case EqType::high_shelf:
      out[0] = design_biquad(BiquadShape::high_shelf, sample_rate, freq_hz, q, gain_db);
      return 1;
    case EqType::notch:
      out[0] = design_biquad(BiquadShape::notch, sample_rate, freq_hz, q, 0.0);
      return 1;
    case EqType::high_pass:
    case EqType::low_pass: {
      const BiquadShape shape =
          type == EqType::high_pass ? BiquadShape::high_pass : BiquadShape::low_pass;
      const int order = slope_db_oct / 6;
      if (order == 2) {
        out[0] = design_biquad(shape, sample_rate, freq_hz, q, 0.0);
        return 1;
      }
      for (int k = 0; k < order / 2; ++k) {
        out[k] = design_biquad(shape, sample_rate, freq_hz, butterworth_section_q(order, k), 0.0);
      }
      return order / 2;
    }
  }
  return 0;
}

}  // namespace

void EqStage::prepare(double sample_rate, std::uint32_t max_block) {
  sample_rate_ = sample_rate;
  bypass_.prepare(sample_rate, max_block);
  for (BandState& b : bands_) {
    b.glide_.prepare(sample_rate, kGlideMs);
    b.mix_.prepare(sample_rate, kBandFadeMs);
  }
  reset(Params{});
}

void EqStage::reset(const Params& p) noexcept {
  params_ = p;
  bypass_.reset(p.bypass);
  reset_bands(p);
}

void EqStage::reset_bands(const Params& p) noexcept {
  for (int i = 0; i < kBands; ++i) {
    BandState& b = bands_[i];
    b.want_ = sanitise(p.bands[i], sample_rate_);
    switch_band(b);
    b.mix_.reset(b.live_.enabled ? 1.0 : 0.0);
  }
  until_redesign_ = 0;
}

void EqStage::set_params(const Params& p) noexcept {
  if (p == params_) return;
  params_ = p;
  if (bypass_.set_bypass(p.bypass)) {
    reset_bands(p);
    return;
  }
  for (int i = 0; i < kBands; ++i) update_band(bands_[i], sanitise(p.bands[i], sample_rate_));
}

void EqStage::update_band(BandState& b, const Band& want) noexcept {
  b.want_ = want;
  b.glide_.set_target(want.freq_hz, want.q, want.gain_db);
  if (!want.enabled) {
    b.switching_ = false;
    b.mix_.set_target(0.0);
  } else if (silent(b)) {
    // A silent band's state is stale: start it afresh at the wanted values.
    switch_band(b);
  } else if (same_structure(b.live_, want)) {
    b.switching_ = false;
    b.live_.enabled = true;
    b.mix_.set_target(1.0);
  } else {
    b.switching_ = true;
    b.mix_.set_target(0.0);
  }
}

void EqStage::switch_band(BandState& b) noexcept {
  b.live_ = b.want_;
  b.switching_ = false;
  b.glide_.reset(b.live_.freq_hz, b.live_.q, b.live_.gain_db);
  redesign(b, true);
  for (auto& channel : b.state_) {
    for (BiquadState& s : channel) s.reset();
  }
  if (b.live_.enabled) b.mix_.set_target(1.0);
}

void EqStage::redesign(BandState& b, bool jump) noexcept {
  std::array<BiquadCoeffs, kMaxSections> c;
  b.sections_ = design_band(b.live_.type, b.live_.slope_db_oct, sample_rate_, b.glide_.freq_hz(),
                            b.glide_.q(), b.glide_.gain_db(), c.data());
  for (int s = 0; s < b.sections_; ++s) {
    if (jump) {
      b.coeffs_[s].reset(c[s]);
    } else {
      b.coeffs_[s].set_target(c[s], FilterGlide::kBlock);
    }
  }
}

void EqStage::process(double* left, double* right, std::uint32_t n) noexcept {
  if (bypass_.idle()) return;
  bypass_.capture(left, right, n);
  std::uint32_t done = 0;
  while (done < n) {
    if (until_redesign_ == 0) {
      for (BandState& b : bands_) {
        if (!silent(b) && b.glide_.advance()) redesign(b, false);
      }
      until_redesign_ = FilterGlide::kBlock;
    }
    const std::uint32_t chunk = std::min(n - done, until_redesign_);
    for (BandState& b : bands_) {
      if (silent(b)) continue;
      process_band(b, left + done, right + done, chunk);
      if (b.switching_ && silent(b)) switch_band(b);
    }
    done += chunk;
    until_redesign_ -= chunk;
  }
  bypass_.mix(left, right, n);
}

void EqStage::process_band(BandState& b, double* left, double* right, std::uint32_t n) noexcept {
  const int sections = b.sections_;
  const bool fading = b.mix_.ramping();
  const ChannelMode mode = b.live_.mode;
  bool ramping = false;
  for (int s = 0; s < sections; ++s) ramping = ramping || b.coeffs_[s].ramping();
  if (!fading && !ramping) {
    process_band_steady(b, left, right, n);
    return;
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    std::array<const BiquadCoeffs*, kMaxSections> c;
    for (int s = 0; s < sections; ++s) c[s] = &b.coeffs_[s].next();
    const double w = fading ? b.mix_.next() : 1.0;
    // The band's output for input x on channel ch, faded against x while mix_ moves.
    auto band = [&](int ch, double x) noexcept {
      double y = x;
      for (int s = 0; s < sections; ++s) y = b.state_[ch][s].process(*c[s], y);
      return fading ? x + w * (y - x) : y;
    };
    switch (mode) {
      case ChannelMode::stereo:
        left[i] = band(0, left[i]);
        right[i] = band(1, right[i]);
        break;
      case ChannelMode::left:
        left[i] = band(0, left[i]);
        break;
      case ChannelMode::right:
        right[i] = band(1, right[i]);
        break;
      case ChannelMode::mid: {
        const double mid = band(0, 0.5 * (left[i] + right[i]));
        const double side = 0.5 * (left[i] - right[i]);
        left[i] = mid + side;
        right[i] = mid - side;
        break;
      }
      case ChannelMode::side: {
        const double mid = 0.5 * (left[i] + right[i]);
        const double side = band(0, 0.5 * (left[i] - right[i]));
        left[i] = mid + side;
        right[i] = mid - side;
        break;
      }
    }
  }
}

void EqStage::process_band_steady(BandState& b, double* left, double* right,
                                  std::uint32_t n) noexcept {
  // Section after section over the whole chunk: each sample meets the same sections in the
  // same order as in process_band(), so the output is identical.
  auto run = [&b](int ch, double* x, std::uint32_t len) noexcept {
    for (int s = 0; s < b.sections_; ++s) b.state_[ch][s].process(b.coeffs_[s].current(), x, len);
  };
  const ChannelMode mode = b.live_.mode;
  switch (mode) {
    case ChannelMode::stereo:
      run(0, left, n);
      run(1, right, n);
      return;
    case ChannelMode::left:
      run(0, left, n);
      return;
    case ChannelMode::right:
      run(1, right, n);
      return;
    case ChannelMode::mid:
    case ChannelMode::side:
      break;
  }
  const bool mid_band = mode == ChannelMode::mid;
  std::uint32_t done = 0;
  while (done < n) {
    double ms[FilterGlide::kBlock];
    const std::uint32_t len = std::min<std::uint32_t>(n - done, FilterGlide::kBlock);
    double* l = left + done;
    double* r = right + done;
    for (std::uint32_t i = 0; i < len; ++i) {
      ms[i] = mid_band ? 0.5 * (l[i] + r[i]) : 0.5 * (l[i] - r[i]);
    }
    run(0, ms, len);
    for (std::uint32_t i = 0; i < len; ++i) {
      const double mid = mid_band ? ms[i] : 0.5 * (l[i] + r[i]);
      const double side = mid_band ? 0.5 * (l[i] - r[i]) : ms[i];
      l[i] = mid + side;
      r[i] = mid - side;
    }
    done += len;
  }
}

}  // namespace lacquer::dsp
