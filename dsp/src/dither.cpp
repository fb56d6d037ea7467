#include "lacquer/dsp/dither.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
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

// Lanes of unsigned 64-bit integers for the random generator.
using u64x4 = std::uint64_t __attribute__((vector_size(32)));

u64x4 rotl(u64x4 x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

// Adding and subtracting 1.5 * 2^52 rounds a double of magnitude below 2^51 to an integer,
// ties to even, as nearbyint() does in the default rounding mode.
constexpr double kRoundMagic = 0x1.8p52;

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

Dither::Dither() noexcept {
  // splitmix64, as the authors of xoshiro recommend for seeding it.
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t& word : rng_) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    word = z ^ (z >> 31);
  }
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

void Dither::reset() noexcept { err_.fill(simd::f64x2{}); }

void Dither::fill_noise(simd::f64x2* noise, std::uint32_t n) noexcept {
  // Four xoshiro256++ streams at once. Each 64-bit draw makes two uniforms of 32 bits in
  // [1, 2) (as mantissas); their difference is triangular on (-1, 1).
  u64x4 s[4];
  std::memcpy(s, rng_.data(), sizeof(s));
  const u64x4 mantissa = u64x4{} + 0x000FFFFFFFF00000ull;
  const u64x4 one = u64x4{} + 0x3FF0000000000000ull;
  for (std::uint32_t i = 0; i < n; i += 2) {
    const u64x4 r = rotl(s[0] + s[3], 23) + s[0];
    const u64x4 t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    const auto high = std::bit_cast<simd::f64x4>(((r >> 12) & mantissa) | one);
    const auto low = std::bit_cast<simd::f64x4>(((r << 20) & mantissa) | one);
    const simd::f64x4 tpdf = high - low;  // two frames
    std::memcpy(noise + i, &tpdf, sizeof(tpdf));
  }
  std::memcpy(rng_.data(), s, sizeof(s));
}

template <int Taps>
void Dither::quantise(double* left, double* right, std::uint32_t n) noexcept {
  using simd::f64x2;
  // Room for an odd n: the noise comes in pairs of frames.
  f64x2 noise[kChunk];
  if (type_ == DitherType::kOff) {
    std::fill_n(noise, n, f64x2{});
  } else {
    fill_noise(noise, n);
  }
  // err_ followed by this pass's errors, so that every tap reads at a fixed offset.
  f64x2 past[kMaxTaps + kChunk];
  std::copy(err_.begin(), err_.end(), past);
  f64x2 c[Taps > 0 ? Taps : 1];
  for (int k = 0; k < Taps; ++k) c[k] = simd::splat<f64x2>(coef_[k]);
  const double top = std::ldexp(1.0, bits_ - 1);  // grid values run -top .. top - 1
  const f64x2 scale = simd::splat<f64x2>(1.0 / lsb_);
  const f64x2 lsb = simd::splat<f64x2>(lsb_);
  const f64x2 lowest = simd::splat<f64x2>(-top);
  const f64x2 highest = simd::splat<f64x2>(top - 1.0);
  const f64x2 max_error = simd::splat<f64x2>(kMaxErrorLsb);
  const f64x2 magic = simd::splat<f64x2>(kRoundMagic);
  f64x2 e = past[kMaxTaps - 1];  // the newest error, kept in a register
  for (std::uint32_t i = 0; i < n; ++i) {
    f64x2 d = simd::load_frame(left, right, i) * scale;
    if constexpr (Taps > 1) {
      // The older errors' feedback first: only the newest waits for the previous sample.
      const f64x2* p = past + kMaxTaps + i - 1;  // p[-k]: the error k + 1 samples back
      f64x2 older = c[Taps - 1] * p[1 - Taps];
#pragma GCC unroll 20
      for (int k = Taps - 2; k >= 1; --k) older += c[k] * p[-k];
      d -= older;
    }
    if constexpr (Taps > 0) d -= c[0] * e;
    // Clamped to the grid before rounding: the same as clamping after, and in range of
    // kRoundMagic.
    const f64x2 v = simd::min(simd::max(d + noise[i], lowest), highest);
    const f64x2 y = (v + magic) - magic;
    e = simd::min(simd::max(y - d, -max_error), max_error);
    past[kMaxTaps + i] = e;
    simd::store_frame(y * lsb, left, right, i);
  }
  std::copy(past + n, past + n + kMaxTaps, err_.begin());
}

void Dither::process(double* left, double* right, std::uint32_t n) noexcept {
  for (std::uint32_t done = 0; done < n; done += kChunk) {
    const std::uint32_t len = std::min(n - done, kChunk);
    double* l = left + done;
    double* r = right + done;
    switch (taps_) {
      case 0:
        quantise<0>(l, r, len);
        break;
      case std::size(kLipshitz44):
        quantise<std::size(kLipshitz44)>(l, r, len);
        break;
      case std::size(kFWeighted46):
        quantise<std::size(kFWeighted46)>(l, r, len);
        break;
      case std::size(kShibata48):
        quantise<std::size(kShibata48)>(l, r, len);
        break;
      case std::size(kShibata44):
        quantise<std::size(kShibata44)>(l, r, len);
        break;
    }
  }
}

}  // namespace lacquer::dsp
