#include "lacquer/dsp/dither.hpp"

#include <algorithm>
#include <cmath>
#include <span>

namespace lacquer::dsp {

namespace {

// Error-feedback coefficients c[0..] (NTF = 1 - sum c[k] z^-(k+1)) and the rate each set
// was designed for.
struct ShapingSet {
  DitherType type;
  double rate_hz;
  std::span<const double> coef;
};

constexpr double kLipshitz44[] = {2.033, -2.165, 1.959, -1.590, 0.6149};
constexpr double kFWeighted46[] = {2.412, -3.370, 3.937,  -4.174, 3.353,
                                   -2.205, 1.281, -0.569, 0.0847};
constexpr double kShibata48[] = {
    2.8720729351043701172,   -5.0413231849670410156,  6.2442994117736816406,
    -5.8483986854553222656,  3.7067542076110839844,   -1.0495119094848632812,
    -1.1830236911773681641,  2.1126792430877685547,   -1.9094531536102294922,
    0.99913084506988525391,  -0.17090806365013122559, -0.32615602016448974609,
    0.39127644896507263184,  -0.26876461505889892578, 0.097676105797290802002,
    -0.023473845794796943665};
constexpr double kShibata44[] = {
    2.6773197650909423828,  -4.8308925628662109375,   6.570110321044921875,
    -7.4572014808654785156, 6.7263274192810058594,    -4.8481650352478027344,
    2.0412089824676513672,  0.7006359100341796875,    -2.9537565708160400391,
    4.0800385475158691406,  -4.1845216751098632812,   3.3311812877655029297,
    -2.1179926395416259766, 0.879302978515625,        -0.031759146600961685181,
    -0.42382788658142089844, 0.47882103919982910156,  -0.35490813851356506348,
    0.17496839165687561035, -0.060908168554306030273};

constexpr ShapingSet kSets[] = {
    {DitherType::kLipshitz, 44100.0, kLipshitz44},
    {DitherType::kFWeighted, 46000.0, kFWeighted46},
    {DitherType::kShibata, 48000.0, kShibata48},
    {DitherType::kShibata, 44100.0, kShibata44},
};

// A set is used within this relative distance of its design rate.
constexpr double kRateTolerance = 0.05;

// Normally |e| <= 1.5 LSB (rounding plus dither). When the output clips the error is
// larger; feeding that back would drive the loop further into clipping, so it is capped.
constexpr double kMaxErrorLsb = 2.0;

constexpr std::string_view kNames[] = {"off", "tpdf", "lipshitz", "fweighted", "shibata"};

}  // namespace

std::string_view dither_type_name(DitherType type) noexcept {
  return kNames[static_cast<int>(type)];
}

std::optional<DitherType> parse_dither_type(std::string_view name) noexcept {
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i) {
    if (kNames[i] == name) return static_cast<DitherType>(i);
  }
  return std::nullopt;
}

void Dither::prepare(double sample_rate) noexcept {
  sample_rate_ = sample_rate;
  select_filter();
  reset();
}

void Dither::set(DitherType type, int bits) noexcept {
  bits = std::clamp(bits, 1, 24);
  if (bits != bits_) {
    bits_ = bits;
    lsb_ = std::ldexp(1.0, 1 - bits);
  }
  if (type != type_) {
    type_ = type;
    select_filter();
    reset();
  }
}

void Dither::select_filter() noexcept {
  taps_ = 0;
  coef_.fill(0.0);
  for (const ShapingSet& s : kSets) {
    if (s.type == type_ && std::fabs(sample_rate_ - s.rate_hz) <= kRateTolerance * s.rate_hz) {
      std::copy(s.coef.begin(), s.coef.end(), coef_.begin());
      taps_ = static_cast<int>(s.coef.size());
      return;
    }
  }
}

void Dither::reset() noexcept {
  for (auto& e : err_) e.fill(0.0);
  pos_ = {};
}

double Dither::uniform() noexcept {
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  const std::uint64_t r = rng_ * 0x2545F4914F6CDD1Dull;
  return static_cast<double>(r >> 11) * 0x1.0p-53 - 0.5;
}

void Dither::process(double* left, double* right, std::uint32_t n) noexcept {
  const double scale = 1.0 / lsb_;
  const double top = std::ldexp(1.0, bits_ - 1);  // grid values run -top .. top - 1
  const bool dither = type_ != DitherType::kOff;
  double* io[2] = {left, right};
  for (int c = 0; c < 2; ++c) {
    double* x = io[c];
    auto& err = err_[c];
    int pos = pos_[c];
    for (std::uint32_t i = 0; i < n; ++i) {
      double d = x[i] * scale;
      const double* past = err.data() + pos;  // newest first
      for (int k = 0; k < taps_; ++k) d -= coef_[k] * past[k];
      const double tpdf = dither ? uniform() + uniform() : 0.0;
      const double y = std::clamp(std::nearbyint(d + tpdf), -top, top - 1.0);
      const double e = std::clamp(y - d, -kMaxErrorLsb, kMaxErrorLsb);
      pos = pos == 0 ? kMaxTaps - 1 : pos - 1;
      err[pos] = e;
      err[pos + kMaxTaps] = e;
      x[i] = y * lsb_;
    }
    pos_[c] = pos;
  }
}

}  // namespace lacquer::dsp
