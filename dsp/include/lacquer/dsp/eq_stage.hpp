#pragma once
// The eq stage: eight parametric bands of double-precision biquads, each on the stereo pair or
// on one of mid / side / left / right. Frequency, gain and Q glide and the coefficients are
// interpolated, so sweeping a band never clicks; a change of type, slope, channel mode or
// on/off fades the band out, switches it and fades it back in.

#include <array>
#include <cstdint>
#include <vector>

#include "lacquer/dsp/biquad.hpp"
#include "lacquer/dsp/bypass.hpp"
#include "lacquer/dsp/simd.hpp"
#include "lacquer/dsp/smoother.hpp"
#include "lacquer/dsp/vector_section.hpp"
#include "lacquer/dsp/stage.hpp"

namespace lacquer::dsp {

/// Band types; the names are the values of /chain/eq/N/type.
enum class EqType { bell, low_shelf, high_shelf, high_pass, low_pass, notch };

/// Which signal a band filters; the names are the values of /chain/eq/N/mode. mid = (L+R)/2,
/// side = (L-R)/2; the other part passes untouched.
enum class ChannelMode { stereo, mid, side, left, right };

class EqStage {
 public:
  static constexpr int kBands = 8;
  /// Sections of the steepest band (48 dB/oct, an 8th-order Butterworth).
  static constexpr int kMaxSections = 4;
  /// Time frequency, gain and Q take to glide to a new value.
  static constexpr double kGlideMs = 20.0;
  /// Fade out (and in again) of a band whose type, slope, mode or on/off changes.
  static constexpr double kBandFadeMs = 10.0;

  struct Band {
    bool enabled = false;
    EqType type = EqType::bell;
    ChannelMode mode = ChannelMode::stereo;
    double freq_hz = 1000.0;  ///< expected 20..20000; clamped to 0.49 x sample rate
    double gain_db = 0.0;     ///< expected -24..+24; bell and shelves only
    /// Expected 0.1..18. Bell, shelves, notch, and high/low pass at 12 dB/oct (0.7071 is
    /// Butterworth); steeper pass filters are Butterworth and ignore it.
    double q = kButterworthQ;
    /// High/low pass only: 12, 24, 36 or 48 (other values round to the nearest of these).
    int slope_db_oct = 12;
    bool operator==(const Band&) const = default;
  };

  struct Params {
    bool bypass = false;
    std::array<Band, kBands> bands{};  ///< band 1 of the command paths is bands[0]
    bool operator==(const Params&) const = default;
  };

  LACQUER_PRINT_STAGE_MEMBERS;
  std::uint32_t latency_frames() const noexcept { return 0; }

 private:
  // One band. `live_` is the configuration the sections are designed for; `want_` the one
  // asked for. The band's output is x + mix_ * (filtered(x) - x): mix_ 0 is silent (skipped),
  // 1 fully applied. When want_ differs from live_ in type, slope or mode, mix_ falls to 0,
  // live_ takes want_ with cleared state, and mix_ rises again (`switching_`).
  // The sections filter a frame as one f64x2: (left, right), or (mid, side) for a mid or side
  // band and for a stereo band that runs among mid/side bands (`mid_side_`); a band of one
  // signal filters both lanes and keeps the other lane's input.
  struct BandState {
    Band live_;
    Band want_;
    FilterGlide glide_;
    int sections_ = 1;
    std::array<BiquadRamp, kMaxSections> coeffs_;
    std::array<VectorSection<simd::f64x2>, kMaxSections> state_;
    LinearSmoother mix_;
    bool switching_ = false;
    bool mid_side_ = false;  // the state's lanes are (mid, side)
  };

  void reset_bands(const Params& p) noexcept;
  void update_band(BandState& b, const Band& want) noexcept;
  void switch_band(BandState& b) noexcept;
  void redesign(BandState& b, bool jump) noexcept;
  // True when no band moves: nothing glides, ramps or fades.
  bool steady() const noexcept;
  // The bands in order over frames x[0 .. n), steady bands fused into passes.
  void process_bands(simd::f64x2* x, std::uint32_t n) noexcept;
  // A stereo band's state carried over to (mid, side) frames if `ms`, else to (left, right).
  static void set_mid_side(BandState& b, bool ms) noexcept;
  // One band whose coefficients or mix move, sample by sample.
  void process_moving(BandState& b, simd::f64x2* x, std::uint32_t n) noexcept;
  // Steady bands first .. last - 1 (indices into `bands_`, in order).
  void process_steady(const int* first, const int* last, simd::f64x2* x,
                      std::uint32_t n) noexcept;
  static bool silent(const BandState& b) noexcept {
    return b.mix_.current() == 0.0 && !b.mix_.ramping();
  }
  // The band's mix or coefficients move in this chunk.
  static bool moving(const BandState& b) noexcept {
    bool ramping = b.mix_.ramping();
    for (int s = 0; s < b.sections_; ++s) ramping = ramping || b.coeffs_[s].ramping();
    return ramping;
  }

  double sample_rate_ = 48000.0;
  Params params_;
  BypassFade bypass_;
  std::array<BandState, kBands> bands_;
  std::uint32_t until_redesign_ = 0;  // samples left before the glides advance again
  std::vector<simd::f64x2> frames_;   // the block as interleaved frames (left, right)
};

static_assert(PrintStage<EqStage>);

}  // namespace lacquer::dsp
