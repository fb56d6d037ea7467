// Dither: error power of TPDF and plain rounding against their analytic values, the
// decorrelation TPDF buys, and noise-shaped error spectra against each filter's NTF.

#include <fftw3.h>
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <vector>

#include "lacquer/dsp/dither.hpp"
#include "lacquer/dsp/smoother.hpp"

namespace lacquer::dsp {
namespace {

constexpr double kPi = std::numbers::pi;

std::vector<double> sine(double freq, double amp, double rate, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = amp * std::sin(2 * kPi * freq * i / rate);
  return x;
}

// Quantises `x` (both channels get the same signal); returns left-channel error y - x.
std::vector<double> quantisation_error(const std::vector<double>& x, double rate,
                                       DitherType type, int bits) {
  Dither d;
  d.prepare(rate);
  d.set(type, bits);
  std::vector<double> l = x, r = x;
  for (std::size_t pos = 0; pos < x.size(); pos += 256) {
    const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(256, x.size() - pos));
    d.process(l.data() + pos, r.data() + pos, n);
  }
  for (std::size_t i = 0; i < x.size(); ++i) l[i] -= x[i];
  return l;
}

double rms_db(const std::vector<double>& e) {
  double sum = 0.0;
  for (double v : e) sum += v * v;
  return 10.0 * std::log10(sum / static_cast<double>(e.size()));
}

// Amplitude of the component of `e` at `freq` (least-squares fit of a sinusoid).
double tone_amplitude(const std::vector<double>& e, double freq, double rate) {
  std::complex<double> acc = 0.0;
  for (std::size_t i = 0; i < e.size(); ++i) acc += e[i] * std::polar(1.0, -2 * kPi * freq * i / rate);
  return 2.0 * std::abs(acc) / static_cast<double>(e.size());
}

TEST(Dither, TpdfErrorAt16BitsIsMinus96Point3) {
  // Rounding error (LSB^2/12) plus TPDF of +-1 LSB (LSB^2/6) = LSB^2/4, RMS LSB/2 = 2^-16.
  const double expected_db = 20.0 * std::log10(std::ldexp(1.0, -16));
  ASSERT_NEAR(expected_db, -96.33, 0.01);
  const double rate = 44100.0;
  const auto x = sine(997.0, db_to_gain(-60.0), rate, static_cast<std::size_t>(10 * rate));
  const auto e = quantisation_error(x, rate, DitherType::kTpdf, 16);
  EXPECT_NEAR(rms_db(e), expected_db, 0.3);
  EXPECT_NEAR(rms_db(e), expected_db, 0.05);  // ten seconds estimate it far better
}

TEST(Dither, TpdfIsTriangularUnbiasedWhiteAndIndependentPerChannel) {
  // 16-bit TPDF on a constant 0.3 LSB, in blocks of odd and even sizes. With t triangular on
  // (-1, 1) LSB, round(0.3 + t) is -1 for t < -0.8 (probability 0.2^2 / 2 = 0.02), +1 for
  // t >= 0.2 (0.8^2 / 2 = 0.32), else 0; its mean is 0.3. The noise is white and independent
  // between the channels.
  const std::size_t n = std::size_t{1} << 20;
  const double lsb = std::ldexp(1.0, -15);
  const double x = 0.3 * lsb;
  Dither d;
  d.prepare(48000.0);
  d.set(DitherType::kTpdf, 16);
  std::vector<double> l(n, x), r(n, x);
  for (std::size_t pos = 0, k = 0; pos < n; ++k) {
    const auto len = static_cast<std::uint32_t>(std::min<std::size_t>(1 + (k * 37) % 300, n - pos));
    d.process(l.data() + pos, r.data() + pos, len);
    pos += len;
  }
  double count[3] = {}, mean = 0.0, cross = 0.0, lag = 0.0, power = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double yl = l[i] / lsb, yr = r[i] / lsb;
    ASSERT_TRUE(yl == -1.0 || yl == 0.0 || yl == 1.0) << yl;
    count[static_cast<int>(yl) + 1] += 1.0;
    mean += yl + yr;
    const double el = yl - 0.3, er = yr - 0.3;
    cross += el * er;
    power += el * el;
    if (i > 0) lag += el * (l[i - 1] / lsb - 0.3);
  }
  const double total = static_cast<double>(n);
  // Standard errors: below 5e-4 for the probabilities and the mean, 1e-3 for the
  // correlations.
  EXPECT_NEAR(count[0] / total, 0.02, 0.003);
  EXPECT_NEAR(count[2] / total, 0.32, 0.003);
  EXPECT_NEAR(mean / (2.0 * total), 0.3, 0.003);
  EXPECT_NEAR(cross / power, 0.0, 0.005);
  EXPECT_NEAR(lag / power, 0.0, 0.005);
}

TEST(Dither, PlainRoundingErrorIsLsbOverRootTwelve) {
  const double expected_db = 20.0 * std::log10(std::ldexp(1.0, -15) / std::sqrt(12.0));
  const double rate = 44100.0;
  const auto x = sine(997.0, db_to_gain(-60.0), rate, static_cast<std::size_t>(10 * rate));
  EXPECT_NEAR(rms_db(quantisation_error(x, rate, DitherType::kOff, 16)), expected_db, 0.3);
}

TEST(Dither, TpdfRemovesDistortionAndKeepsNoiseIndependentOfLevel) {
  const double rate = 44100.0;
  const auto n = static_cast<std::size_t>(10 * rate);
  const double lsb = std::ldexp(1.0, -15);
  // At -80 dBFS (3.3 LSB) plain rounding makes odd harmonics; dither leaves only noise,
  // whose level in one DFT bin of 10 s is about 2^-16 * 2 / sqrt(n) = 1e-7.
  const auto x = sine(997.0, db_to_gain(-80.0), rate, n);
  const auto rounded = quantisation_error(x, rate, DitherType::kOff, 16);
  const auto dithered = quantisation_error(x, rate, DitherType::kTpdf, 16);
  const double bin_noise = 2.0 * (lsb / 2.0) / std::sqrt(static_cast<double>(n));
  EXPECT_GT(tone_amplitude(rounded, 3 * 997.0, rate), 20 * bin_noise);
  for (int h = 1; h <= 5; ++h) {
    EXPECT_LT(tone_amplitude(dithered, h * 997.0, rate), 5 * bin_noise) << "harmonic " << h;
  }
  // The error power does not depend on the signal: silence, -80 and -20 dBFS alike.
  const double ref_db = 20.0 * std::log10(lsb / 2.0);
  for (double level_db : {-200.0, -80.0, -20.0}) {
    const auto e = quantisation_error(sine(997.0, db_to_gain(level_db), rate, n), rate,
                                      DitherType::kTpdf, 16);
    EXPECT_NEAR(rms_db(e), ref_db, 0.05) << level_db;
  }
}

TEST(Dither, OutputLiesOnTheGridAndClipsAtFullScale) {
  for (int bits : {16, 24}) {
    Dither d;
    d.prepare(48000.0);
    d.set(DitherType::kShibata, bits);
    const double scale = std::ldexp(1.0, bits - 1);
    std::vector<double> l = sine(1000.0, 1.2, 48000.0, 48000), r = l;
    d.process(l.data(), r.data(), static_cast<std::uint32_t>(l.size()));
    for (double v : l) {
      ASSERT_EQ(v * scale, std::round(v * scale));
      ASSERT_GE(v, -1.0);
      ASSERT_LE(v, 1.0 - 1.0 / scale);
    }
  }
}

// Welch power spectrum (Hann, 50 % overlap) of `e`, one value per bin 0 .. n/2.
std::vector<double> welch_psd(const std::vector<double>& e, std::size_t n) {
  std::vector<double> in(n), win(n), psd(n / 2 + 1, 0.0);
  std::vector<fftw_complex> out(n / 2 + 1);
  for (std::size_t i = 0; i < n; ++i) win[i] = 0.5 - 0.5 * std::cos(2 * kPi * i / n);
  fftw_plan plan = fftw_plan_dft_r2c_1d(static_cast<int>(n), in.data(), out.data(), FFTW_ESTIMATE);
  std::size_t frames = 0;
  for (std::size_t start = 0; start + n <= e.size(); start += n / 2, ++frames) {
    for (std::size_t i = 0; i < n; ++i) in[i] = e[start + i] * win[i];
    fftw_execute(plan);
    for (std::size_t k = 0; k <= n / 2; ++k) psd[k] += out[k][0] * out[k][0] + out[k][1] * out[k][1];
  }
  fftw_destroy_plan(plan);
  for (double& p : psd) p /= static_cast<double>(frames);
  return psd;
}

double ntf_power(const Dither& d, double freq, double rate) {
  std::complex<double> h = 1.0;
  for (int k = 0; k < d.taps(); ++k) h -= d.coefficients()[k] * std::polar(1.0, -2 * kPi * freq / rate * (k + 1));
  return std::norm(h);
}

struct ShapingCase {
  DitherType type;
  double rate;
};

class DitherShaping : public ::testing::TestWithParam<ShapingCase> {};

// The shaped error spectrum divided by the flat TPDF error spectrum follows |NTF|^2,
// checked over bands of 9 bins (~100 Hz) across the audio range.
TEST_P(DitherShaping, ErrorSpectrumFollowsNtf) {
  const auto [type, rate] = GetParam();
  const std::size_t n = 4096;
  const auto x = sine(997.0, db_to_gain(-60.0), rate, static_cast<std::size_t>(30 * rate));
  Dither probe;
  probe.prepare(rate);
  probe.set(type, 16);
  ASSERT_TRUE(probe.shaping_active());
  const auto shaped = welch_psd(quantisation_error(x, rate, type, 16), n);
  const auto flat = welch_psd(quantisation_error(x, rate, DitherType::kTpdf, 16), n);
  for (double f = 200.0; f < 0.47 * rate; f *= 1.25) {
    const auto centre = static_cast<std::size_t>(std::lround(f / rate * n));
    double measured = 0.0, reference = 0.0, analytic = 0.0;
    for (std::size_t k = centre - 4; k <= centre + 4; ++k) {
      measured += shaped[k];
      reference += flat[k];
      analytic += ntf_power(probe, static_cast<double>(k) * rate / n, rate);
    }
    const double measured_db = 10 * std::log10(measured / reference);
    const double analytic_db = 10 * std::log10(analytic / 9.0);
    EXPECT_NEAR(measured_db, analytic_db, 1.0) << dither_type_name(type) << " at " << f << " Hz";
  }
}

INSTANTIATE_TEST_SUITE_P(Sets, DitherShaping,
                         ::testing::Values(ShapingCase{DitherType::kLipshitz, 44100.0},
                                           ShapingCase{DitherType::kFWeighted, 44100.0},
                                           ShapingCase{DitherType::kFWeighted, 48000.0},
                                           ShapingCase{DitherType::kShibata, 44100.0},
                                           ShapingCase{DitherType::kShibata, 48000.0}));

TEST(Dither, LipshitzFiguresAt4And20Kilohertz) {
  // The published shape: a deep dip near 4 kHz and +19 dB near the top of the band.
  Dither d;
  d.prepare(44100.0);
  d.set(DitherType::kLipshitz, 16);
  EXPECT_NEAR(10 * std::log10(ntf_power(d, 4000.0, 44100.0)), -27.0, 0.5);
  EXPECT_NEAR(10 * std::log10(ntf_power(d, 20000.0, 44100.0)), 19.0, 0.5);
  // Measured: the 4 kHz and 20 kHz bins of the error spectrum against flat TPDF.
  const std::size_t n = 8192;
  const auto x = sine(997.0, db_to_gain(-60.0), 44100.0, static_cast<std::size_t>(30 * 44100.0));
  const auto shaped = welch_psd(quantisation_error(x, 44100.0, DitherType::kLipshitz, 16), n);
  const auto flat = welch_psd(quantisation_error(x, 44100.0, DitherType::kTpdf, 16), n);
  auto band_db = [&](double f) {
    const auto c = static_cast<std::size_t>(std::lround(f / 44100.0 * n));
    double s = 0.0, r = 0.0;
    for (std::size_t k = c - 1; k <= c + 1; ++k) s += shaped[k], r += flat[k];
    return 10 * std::log10(s / r);
  };
  EXPECT_NEAR(band_db(4000.0), -27.0, 2.0);
  EXPECT_NEAR(band_db(20000.0), 19.0, 1.0);
}

TEST(Dither, ShapingFallsBackToTpdfAwayFromItsRate) {
  Dither d;
  d.prepare(96000.0);
  d.set(DitherType::kLipshitz, 24);
  EXPECT_FALSE(d.shaping_active());
  d.prepare(44100.0);
  EXPECT_TRUE(d.shaping_active());
}

TEST(Dither, NamesRoundTrip) {
  for (auto t : {DitherType::kOff, DitherType::kTpdf, DitherType::kLipshitz,
                 DitherType::kFWeighted, DitherType::kShibata}) {
    EXPECT_EQ(parse_dither_type(dither_type_name(t)), t);
  }
  EXPECT_FALSE(parse_dither_type("triangular").has_value());
}

}  // namespace
}  // namespace lacquer::dsp
