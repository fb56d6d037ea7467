#pragma once
// Word-length reduction with TPDF dither and optional error-feedback noise shaping.
//
// Each channel computes, per sample:
//   d = x - sum_k c[k] * e[n-1-k]     (past errors, shaped by the filter c)
//   y = round_to_grid(d + tpdf)       (tpdf: triangular noise of +-1 LSB, variance LSB^2/6)
//   e[n] = y - d                      (the total error this sample, dither included)
// so y - x = e[n] - sum_k c[k] e[n-1-k]: the error is white noise of power LSB^2/4
// (rounding LSB^2/12 plus dither LSB^2/6) coloured by the noise transfer function
// NTF(z) = 1 - sum_k c[k] z^-(k+1). Unshaped TPDF at 16 bits therefore leaves an error of
// RMS LSB/2 = 2^-16, i.e. -96.33 dB relative to full scale 1.0.
//
// The shaping sets are published error-feedback filters, each designed for one sample
// rate; they are used within 5 % of it, and otherwise plain TPDF is applied instead
// (shaping_active() says which):
//   lipshitz   5 taps, 44.1 kHz (Lipshitz, Vanderkooy, Wannamaker 1991, "minimally
//              audible noise shaping"): NTF -27 dB at 4 kHz, +19 dB at 20 kHz
//   fweighted  9 taps, 46 kHz, so 44.1 and 48 kHz (Wannamaker 1992, F-weighted)
//   shibata    16 taps at 48 kHz, 20 taps at 44.1 kHz (Shibata's ATH-based sets)

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "lacquer/dsp/simd.hpp"

namespace lacquer::dsp {

/// Dither choices, as the command path /chain/output/dither names them.
enum class DitherType { kOff, kTpdf, kLipshitz, kFWeighted, kShibata };

/// "off", "tpdf", "lipshitz", "fweighted", "shibata".
std::string_view dither_type_name(DitherType type) noexcept;
/// Inverse of dither_type_name(); nothing for an unknown name.
std::optional<DitherType> parse_dither_type(std::string_view name) noexcept;

/// Quantises two channels to a signed integer grid of `bits` bits, values k / 2^(bits-1)
/// clamped to [-1, 1 - 2^(1-bits)]. No allocation: set up and process on any thread.
class Dither {
 public:
  static constexpr int kMaxTaps = 20;

  /// Seeds the random sequence.
  Dither() noexcept;

  /// Picks the shaping set for `sample_rate` and clears the state.
  void prepare(double sample_rate) noexcept;
  /// Target word length (1..24 bits) and dither type; clears the error history when the
  /// shaping filter changes.
  void set(DitherType type, int bits) noexcept;
  /// Clears the error history (the random sequence continues).
  void reset() noexcept;
  /// In place, n frames of each channel.
  void process(double* left, double* right, std::uint32_t n) noexcept;

  /// True when the requested type shapes the noise at this rate.
  bool shaping_active() const noexcept { return taps_ > 0; }
  /// The filter in use: NTF(z) = 1 - sum coefficients()[k] z^-(k+1).
  const double* coefficients() const noexcept { return coef_.data(); }
  int taps() const noexcept { return taps_; }
  /// The grid step 2^(1-bits).
  double lsb() const noexcept { return lsb_; }

 private:
  // Frames quantised per pass: the noise for them is drawn at once.
  static constexpr std::uint32_t kChunk = 64;

  void select_filter() noexcept;
  // Triangular noise of +-1 LSB for n <= kChunk frames, (left, right) per frame.
  void fill_noise(simd::f64x2* noise, std::uint32_t n) noexcept;
  // process() of n <= kChunk frames with a filter of `Taps` taps (taps_).
  template <int Taps>
  void quantise(double* left, double* right, std::uint32_t n) noexcept;

  double sample_rate_ = 48000.0;
  DitherType type_ = DitherType::kTpdf;
  int bits_ = 16;
  double lsb_ = 1.0 / 32768.0;
  std::array<double, kMaxTaps> coef_{};
  int taps_ = 0;
  // Past total errors in LSB, a (left, right) pair per frame, oldest first: the newest is
  // err_[kMaxTaps - 1].
  std::array<simd::f64x2, kMaxTaps> err_{};
  // xoshiro256++ state of four streams run side by side: word w of stream k is
  // rng_[4 * w + k].
  std::array<std::uint64_t, 16> rng_{};
};

}  // namespace lacquer::dsp
