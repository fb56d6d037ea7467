// The eq stage measured from the outside: impulse responses through the stage, DFT at probe
// frequencies, against the analytic transfer functions (RBJ cookbook prototypes, Butterworth
// poles) under the pre-warped bilinear map; channel modes; transparency; bypass; and the
// largest sample-to-sample step while a band jumps or sweeps, against an un-interpolated EQ.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "lacquer/dsp/eq_stage.hpp"
#include "response_probe.hpp"
#include "signals.hpp"

namespace lacquer::dsp {
namespace {

using test::max_step;
using test::noise;
using test::sine;

using test::Complex;
using Band = EqStage::Band;

constexpr double kProbes[] = {20.0,   31.5,   50.0,   100.0,   250.0,   1000.0,
                              3000.0, 8000.0, 12000.0, 16000.0, 20000.0};

Band make_band(EqType type, double freq_hz, double gain_db, double q, int slope = 12,
               ChannelMode mode = ChannelMode::stereo) {
  Band b;
  b.enabled = true;
  b.type = type;
  b.mode = mode;
  b.freq_hz = freq_hz;
  b.gain_db = gain_db;
  b.q = q;
  b.slope_db_oct = slope;
  return b;
}

// The analytic response of one band.
Complex analytic(const Band& b, double f, double fs) {
  const Complex s = test::warped_s(f, b.freq_hz, fs);
  const double a = std::pow(10.0, b.gain_db / 40.0);
  const int order = b.slope_db_oct / 6;
  switch (b.type) {
    case EqType::bell:
      return test::proto_bell(s, b.q, a);
    case EqType::low_shelf:
      return test::proto_low_shelf(s, b.q, a);
    case EqType::high_shelf:
      return test::proto_high_shelf(s, b.q, a);
    case EqType::notch:
      return test::proto_notch(s, b.q);
    case EqType::high_pass:
      return order == 2 ? test::proto_high_pass2(s, b.q)
                        : test::proto_butterworth_high_pass(s, order);
    case EqType::low_pass:
      return order == 2 ? test::proto_low_pass2(s, b.q)
                        : test::proto_butterworth_low_pass(s, order);
  }
  return 0.0;
}

std::vector<double> eq_impulse(const EqStage::Params& p, double fs, int channel = 0,
                               double impulse_right = 1.0) {
  EqStage eq;
  eq.prepare(fs, 256);
  eq.reset(p);
  return test::impulse_response([&](double* l, double* r, std::uint32_t n) { eq.process(l, r, n); },
                                static_cast<std::size_t>(1.5 * fs), channel, impulse_right);
}

// Compares a measured response with the analytic one at every probe: complex error, and
// magnitude (dB) and phase (degrees) where the response is above -60 dB.
void expect_response(const std::vector<double>& h, double fs,
                     const std::function<Complex(double)>& want, const std::string& what) {
  for (double f : kProbes) {
    if (f >= 0.49 * fs) continue;
    const Complex got = test::dft_at(h, f, fs);
    const Complex ref = want(f);
    EXPECT_LT(std::abs(got - ref), 1e-7 * std::max(1.0, std::abs(ref))) << what << " f " << f;
    if (std::abs(ref) > 1e-3) {
      EXPECT_NEAR(test::mag_db(got), test::mag_db(ref), 1e-4) << what << " f " << f;
      EXPECT_NEAR(test::phase_diff(got, ref) * 180.0 / std::numbers::pi, 0.0, 1e-3)
          << what << " f " << f;
    }
  }
}

// The response of a live stage once its glides are over: silence lets the state decay,
// then an impulse goes through the same instance.
std::vector<double> settled_impulse(EqStage& eq, double fs) {
  std::vector<double> zeros(static_cast<std::size_t>(fs), 0.0), zeros_r = zeros;
  for (std::size_t pos = 0; pos < zeros.size(); pos += 256) {
    eq.process(zeros.data() + pos, zeros_r.data() + pos,
               static_cast<std::uint32_t>(std::min<std::size_t>(256, zeros.size() - pos)));
  }
  return test::impulse_response([&](double* l, double* r, std::uint32_t n) { eq.process(l, r, n); },
                                static_cast<std::size_t>(1.5 * fs));
}

TEST(EqStage, EveryBandTypeMatchesItsTransferFunction) {
  const Band bands[] = {
      make_band(EqType::bell, 30.0, 6.0, 0.7),        make_band(EqType::bell, 2000.0, -8.0, 3.0),
      make_band(EqType::low_shelf, 100.0, 5.0, 0.7071), make_band(EqType::high_shelf, 10000.0, -4.0, 0.7071),
      make_band(EqType::notch, 50.0, 0.0, 5.0),
      make_band(EqType::high_pass, 20.0, 0.0, 0.7071, 12), make_band(EqType::high_pass, 20.0, 0.0, 0.7071, 24),
      make_band(EqType::high_pass, 30.0, 0.0, 0.7071, 36), make_band(EqType::high_pass, 25.0, 0.0, 0.7071, 48),
      make_band(EqType::high_pass, 80.0, 0.0, 2.0, 12),
      make_band(EqType::low_pass, 18000.0, 0.0, 0.7071, 12), make_band(EqType::low_pass, 15000.0, 0.0, 0.7071, 24),
      make_band(EqType::low_pass, 12000.0, 0.0, 0.7071, 36), make_band(EqType::low_pass, 8000.0, 0.0, 0.7071, 48),
  };
  for (double fs : {44100.0, 48000.0, 96000.0}) {
    for (const Band& b : bands) {
      EqStage::Params p;
      p.bands[3] = b;
      const std::string what = "type " + std::to_string(static_cast<int>(b.type)) + " slope " +
                               std::to_string(b.slope_db_oct) + " f0 " + std::to_string(b.freq_hz) +
                               " fs " + std::to_string(fs);
      expect_response(eq_impulse(p, fs), fs, [&](double f) { return analytic(b, f, fs); }, what);
    }
  }
}

TEST(EqStage, BandsInSeriesMultiply) {
  EqStage::Params p;
  p.bands[0] = make_band(EqType::high_pass, 25.0, 0.0, 0.7071, 24);
  p.bands[2] = make_band(EqType::bell, 400.0, -3.0, 1.5);
  p.bands[5] = make_band(EqType::high_shelf, 6000.0, 2.5, 0.7071);
  p.bands[7] = make_band(EqType::low_pass, 19000.0, 0.0, 0.7071, 12);
  for (double fs : {44100.0, 96000.0}) {
    expect_response(eq_impulse(p, fs), fs,
                    [&](double f) {
                      Complex h = 1.0;
                      for (const Band& b : p.bands) {
                        if (b.enabled) h *= analytic(b, f, fs);
                      }
                      return h;
                    },
                    "four bands");
  }
}

TEST(EqStage, ChannelModesFilterOnlyTheirSignal) {
  const double fs = 48000.0;
  const Band bell = make_band(EqType::bell, 1000.0, 9.0, 1.0);
  auto bell_h = [&](double f) { return analytic(bell, f, fs); };
  auto flat = [](double) { return Complex(1.0, 0.0); };
  auto zero = [](double) { return Complex(0.0, 0.0); };
  for (ChannelMode mode : {ChannelMode::mid, ChannelMode::side, ChannelMode::left,
                           ChannelMode::right, ChannelMode::stereo}) {
    EqStage::Params p;
    p.bands[0] = bell;
    p.bands[0].mode = mode;
    const std::string what = "mode " + std::to_string(static_cast<int>(mode));
    // A mid impulse (L = R) and a side impulse (L = -R), seen at the left output.
    const auto mid_h = eq_impulse(p, fs, 0, 1.0);
    const auto side_h = eq_impulse(p, fs, 0, -1.0);
    const bool mid_filtered = mode != ChannelMode::side;
    const bool side_filtered = mode != ChannelMode::mid;
    if (mode == ChannelMode::left || mode == ChannelMode::right) {
      // One channel filtered: the left output of L = +/-R impulses is H or 1.
      const bool left = mode == ChannelMode::left;
      expect_response(mid_h, fs, left ? std::function<Complex(double)>(bell_h) : flat, what);
      expect_response(eq_impulse(p, fs, 1, 0.0), fs, zero, what + " no leak to right");
      continue;
    }
    expect_response(mid_h, fs, mid_filtered ? std::function<Complex(double)>(bell_h) : flat,
                    what + " mid");
    expect_response(side_h, fs, side_filtered ? std::function<Complex(double)>(bell_h) : flat,
                    what + " side");
  }
}

// Eight bands of every mode in series, sample by sample with one BiquadState per channel and
// section, as the bands are defined: the stage runs them fused in passes, mid/side bands and
// the stereo bands among them on (mid, side) frames, and must agree to rounding (amplified
// up to some 1000 times by the steep 30 Hz high-pass).
TEST(EqStage, FusedBandsMatchBandBySampleReference) {
  const double fs = 48000.0;
  EqStage::Params p;
  p.bands[0] = make_band(EqType::high_pass, 30.0, 0.0, 0.7071, 48, ChannelMode::side);
  p.bands[1] = make_band(EqType::low_shelf, 90.0, 2.0, 0.7071);
  p.bands[2] = make_band(EqType::bell, 300.0, -3.0, 1.5, 12, ChannelMode::mid);
  p.bands[3] = make_band(EqType::bell, 900.0, 4.0, 2.0, 12, ChannelMode::side);
  p.bands[4] = make_band(EqType::high_shelf, 6000.0, -2.0, 0.7071, 12, ChannelMode::left);
  p.bands[5] = make_band(EqType::notch, 2000.0, 0.0, 4.0, 12, ChannelMode::right);
  p.bands[6] = make_band(EqType::low_pass, 16000.0, 0.0, 0.7071, 36);
  p.bands[7] = make_band(EqType::bell, 4000.0, 3.0, 0.9);
  const std::size_t n = 20000;
  const auto in_l = noise(n, 7);
  const auto in_r = noise(n, 8);

  std::vector<double> ref_l = in_l, ref_r = in_r;
  for (const Band& band : p.bands) {
    const auto shape = [&] {
      switch (band.type) {
        case EqType::bell: return BiquadShape::bell;
        case EqType::low_shelf: return BiquadShape::low_shelf;
        case EqType::high_shelf: return BiquadShape::high_shelf;
        case EqType::notch: return BiquadShape::notch;
        case EqType::high_pass: return BiquadShape::high_pass;
        case EqType::low_pass: return BiquadShape::low_pass;
      }
      return BiquadShape::bell;
    }();
    std::vector<BiquadCoeffs> sections;
    const int order = band.slope_db_oct / 6;
    const bool pass = band.type == EqType::high_pass || band.type == EqType::low_pass;
    if (pass && order > 2) {
      for (int k = 0; k < order / 2; ++k) {
        sections.push_back(design_biquad(shape, fs, band.freq_hz, butterworth_section_q(order, k), 0.0));
      }
    } else {
      sections.push_back(design_biquad(shape, fs, band.freq_hz, band.q, band.gain_db));
    }
    std::vector<BiquadState> state[2] = {std::vector<BiquadState>(sections.size()),
                                         std::vector<BiquadState>(sections.size())};
    auto filter = [&](int ch, double x) {
      for (std::size_t k = 0; k < sections.size(); ++k) x = state[ch][k].process(sections[k], x);
      return x;
    };
    for (std::size_t i = 0; i < n; ++i) {
      const double mid = 0.5 * (ref_l[i] + ref_r[i]), side = 0.5 * (ref_l[i] - ref_r[i]);
      switch (band.mode) {
        case ChannelMode::stereo:
          ref_l[i] = filter(0, ref_l[i]);
          ref_r[i] = filter(1, ref_r[i]);
          break;
        case ChannelMode::left:
          ref_l[i] = filter(0, ref_l[i]);
          break;
        case ChannelMode::right:
          ref_r[i] = filter(1, ref_r[i]);
          break;
        case ChannelMode::mid:
        case ChannelMode::side: {
          const double m = band.mode == ChannelMode::mid ? filter(0, mid) : mid;
          const double s = band.mode == ChannelMode::side ? filter(0, side) : side;
          ref_l[i] = m + s;
          ref_r[i] = m - s;
          break;
        }
      }
    }
  }

  EqStage eq;
  eq.prepare(fs, 256);
  eq.reset(p);
  std::vector<double> l = in_l, r = in_r;
  std::mt19937 rng(9);
  for (std::size_t pos = 0; pos < n;) {
    const auto len = static_cast<std::uint32_t>(std::min<std::size_t>(1 + rng() % 256, n - pos));
    eq.set_params(p);
    eq.process(l.data() + pos, r.data() + pos, len);
    pos += len;
  }
  double worst = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    worst = std::max({worst, std::fabs(l[i] - ref_l[i]), std::fabs(r[i] - ref_r[i])});
  }
  EXPECT_LT(worst, 1e-12);
}

TEST(EqStage, DefaultsAreBitTransparent) {
  EqStage eq;
  eq.prepare(48000.0, 256);
  const auto in_l = noise(48000, 1);
  const auto in_r = noise(48000, 2);
  auto l = in_l;
  auto r = in_r;
  std::mt19937 rng(3);
  for (std::size_t pos = 0; pos < l.size();) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(1 + rng() % 256, l.size() - pos));
    eq.set_params(EqStage::Params{});
    eq.process(l.data() + pos, r.data() + pos, n);
    pos += n;
  }
  EXPECT_EQ(l, in_l);
  EXPECT_EQ(r, in_r);
  EXPECT_EQ(eq.latency_frames(), 0u);
}

// Runs `eq` over a copy of (l, r) in blocks of 256 and returns the left output.
std::vector<double> run(EqStage& eq, std::vector<double> l, std::vector<double> r) {
  for (std::size_t pos = 0; pos < l.size(); pos += 256) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(256, l.size() - pos));
    eq.process(l.data() + pos, r.data() + pos, n);
  }
  return l;
}

TEST(EqStage, DisabledAndBypassedBandsReturnToBitTransparency) {
  EqStage eq;
  eq.prepare(48000.0, 256);
  EqStage::Params p;
  p.bands[1] = make_band(EqType::bell, 500.0, 6.0, 1.0);
  eq.reset(p);
  const auto in = noise(9600, 4);
  run(eq, in, in);
  p.bands[1].enabled = false;  // fades out over kBandFadeMs
  eq.set_params(p);
  run(eq, in, in);
  EXPECT_EQ(run(eq, in, in), in);

  p.bands[1].enabled = true;
  p.bypass = true;  // crossfade to dry, then skipped
  eq.set_params(p);
  run(eq, in, in);
  EXPECT_EQ(run(eq, in, in), in);
  EXPECT_EQ(eq.latency_frames(), 0u);

  // Coming back from bypass, the band starts from a cleared state: silence in, silence out
  // (a state left over from before the bypass would ring).
  p.bypass = false;
  eq.set_params(p);
  const std::vector<double> zeros(9600, 0.0);
  EXPECT_EQ(run(eq, zeros, zeros), zeros);
}

// An eq without coefficient interpolation: one bell whose coefficients jump to the value given
// by `gain_at` / `freq_at` at the start of every block of `block` samples.
std::vector<double> naive_bell(const std::vector<double>& x, double fs, std::size_t block,
                               const std::function<double(std::size_t)>& freq_at,
                               const std::function<double(std::size_t)>& gain_at, double q) {
  std::vector<double> y(x.size());
  BiquadCoeffs c;
  double s1 = 0.0, s2 = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (i % block == 0) c = design_biquad(BiquadShape::bell, fs, freq_at(i), q, gain_at(i));
    y[i] = c.b0 * x[i] + s1;
    s1 = c.b1 * x[i] - c.a1 * y[i] + s2;
    s2 = c.b2 * x[i] - c.a2 * y[i];
  }
  return y;
}

// The zipper case: low-frequency programme under a treble band that moves. A bell's b0 (its
// direct path) changes with gain and frequency, so an un-interpolated change steps the output
// by (b0_new - b0_old) x at once. The bound is the steepest step of the sine itself (at the
// band's largest gain on it) plus 5 %: anything above it is a discontinuity the change added.
double sine_step(double freq_hz, double amp, double fs) {
  return amp * 2.0 * std::sin(std::numbers::pi * freq_hz / fs);
}

TEST(EqStage, GainJumpDoesNotClick) {
  // 100 Hz sine at -6 dBFS; a bell at 4 kHz, Q 0.7, jumps -12 -> +12 dB near a crest of the
  // sine (0.5 s + 128 samples), where an un-interpolated jump steps the most.
  const double fs = 48000.0, f = 100.0, amp = 0.5, band_hz = 4000.0, q = 0.7;
  const std::size_t n = 48000, jump = 24128;
  const auto x = sine(n, f, amp, fs);
  EqStage eq;
  eq.prepare(fs, 256);
  EqStage::Params p;
  p.bands[0] = make_band(EqType::bell, band_hz, -12.0, q);
  eq.reset(p);
  std::vector<double> l = x, r = x;
  for (std::size_t pos = 0; pos < n; pos += 64) {
    p.bands[0].gain_db = pos < jump ? -12.0 : 12.0;
    eq.set_params(p);
    eq.process(l.data() + pos, r.data() + pos, 64);
  }
  const double gain_at_sine = std::abs(analytic(p.bands[0], f, fs));
  const double bound = 1.05 * gain_at_sine * sine_step(f, amp, fs);
  const double smoothed = max_step(l, 2000);
  const double naive = max_step(
      naive_bell(x, fs, 64, [&](std::size_t) { return band_hz; },
                 [&](std::size_t i) { return i < jump ? -12.0 : 12.0; }, q),
      2000);
  std::printf("gain jump: max step %.5f (bound %.5f), un-interpolated %.5f\n", smoothed, bound,
              naive);
  EXPECT_LT(smoothed, bound);
  EXPECT_GT(naive, 10.0 * bound);
  expect_response(settled_impulse(eq, fs), fs,
                  [&](double probe) { return analytic(p.bands[0], probe, fs); }, "after gain jump");
}

TEST(EqStage, FrequencySweepDoesNotClick) {
  // 30 Hz sine at -14 dBFS; a +12 dB bell (Q 2) sweeps 100 Hz -> 10 kHz in 100 ms, its target
  // updated once per 256-frame block as the chain does. The bell lifts the sine the most at
  // the start of the sweep, which sets the bound.
  const double fs = 48000.0, f = 30.0, amp = 0.2;
  const std::size_t n = 24000, start = 4800, sweep = 4800;
  auto freq_at = [&](std::size_t i) {
    if (i < start) return 100.0;
    const double t = std::min(1.0, static_cast<double>(i - start) / sweep);
    return 100.0 * std::pow(100.0, t);
  };
  const auto x = sine(n, f, amp, fs);
  EqStage eq;
  eq.prepare(fs, 256);
  EqStage::Params p;
  p.bands[0] = make_band(EqType::bell, 100.0, 12.0, 2.0);
  const double gain_at_sine = std::abs(analytic(p.bands[0], f, fs));
  eq.reset(p);
  std::vector<double> l = x, r = x;
  for (std::size_t pos = 0; pos < n; pos += 256) {
    p.bands[0].freq_hz = freq_at(pos);
    eq.set_params(p);
    eq.process(l.data() + pos, r.data() + pos,
               static_cast<std::uint32_t>(std::min<std::size_t>(256, n - pos)));
  }
  const double bound = 1.05 * gain_at_sine * sine_step(f, amp, fs);
  const double smoothed = max_step(l, 2000);
  const double naive =
      max_step(naive_bell(x, fs, 256, freq_at, [](std::size_t) { return 12.0; }, 2.0), 2000);
  std::printf("freq sweep: max step %.5f (bound %.5f), un-interpolated %.5f\n", smoothed, bound,
              naive);
  EXPECT_LT(smoothed, bound);
  EXPECT_GT(naive, 5.0 * bound);
  expect_response(settled_impulse(eq, fs), fs,
                  [&](double probe) { return analytic(p.bands[0], probe, fs); }, "after sweep");
}

TEST(EqStage, TypeChangeFadesInsteadOfJumping) {
  // Switching a band from low shelf to high-pass 48 dB/oct on a 100 Hz sine: the band fades
  // out and in, so no step exceeds the sine's own steepest step.
  const double fs = 48000.0, f = 100.0, amp = 0.5;
  const auto x = sine(24000, f, amp, fs);
  EqStage eq;
  eq.prepare(fs, 256);
  EqStage::Params p;
  p.bands[0] = make_band(EqType::low_shelf, 200.0, 6.0, 0.7071);
  eq.reset(p);
  std::vector<double> l = x, r = x;
  for (std::size_t pos = 0; pos < l.size(); pos += 256) {
    if (pos == 12032) {
      p.bands[0] = make_band(EqType::high_pass, 1000.0, 0.0, 0.7071, 48);
      eq.set_params(p);
    }
    eq.process(l.data() + pos, r.data() + pos,
               static_cast<std::uint32_t>(std::min<std::size_t>(256, l.size() - pos)));
  }
  const double bound = 1.05 * db_to_gain(6.0) * amp * 2.0 * std::sin(std::numbers::pi * f / fs);
  EXPECT_LT(max_step(l, 2000), bound);
  // The fade ends in the new type's response, not in a glide of the old one.
  expect_response(settled_impulse(eq, fs), fs,
                  [&](double probe) { return analytic(p.bands[0], probe, fs); }, "after type change");
}

}  // namespace
}  // namespace lacquer::dsp
