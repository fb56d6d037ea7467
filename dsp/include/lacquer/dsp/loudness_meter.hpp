#pragma once
// EBU R128 / ITU-R BS.1770 loudness of a stereo signal, on the audio thread.
//
// Built on libebur128 in histogram mode: gating blocks and short-term blocks go into two
// fixed 1000-bin histograms (0.1 LU bins), so adding audio never allocates however long
// it runs, and integrated loudness and LRA cost one pass over the bins. All allocation
// happens in prepare().
//
// Readings are refreshed at every 100 ms boundary of the input (the BS.1770 gating hop),
// i.e. momentary and short-term are evaluated every 100 ms; the audio is split at those
// boundaries, so readings do not depend on the block size.

#include <ebur128.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace lacquer::dsp {

/// Loudness readings. LUFS values are -inf until there is something to measure (less
/// than 400 ms of audio, or everything below the -70 LUFS absolute gate); LRA is 0 until
/// there are short-term blocks to spread.
struct LoudnessReading {
  double momentary_lufs = -INFINITY;    ///< 400 ms window
  double short_term_lufs = -INFINITY;   ///< 3 s window
  double integrated_lufs = -INFINITY;   ///< gated, since reset()
  double lra_lu = 0.0;                  ///< loudness range (EBU Tech 3342), since reset()
  double momentary_max_lufs = -INFINITY;   ///< largest momentary since reset()
  double short_term_max_lufs = -INFINITY;  ///< largest short-term since reset()
};

class LoudnessMeter {
 public:
  LoudnessMeter() = default;
  LoudnessMeter(const LoudnessMeter&) = delete;
  LoudnessMeter& operator=(const LoudnessMeter&) = delete;
  ~LoudnessMeter();

  /// Allocates the libebur128 state and an interleaving buffer for blocks of up to
  /// `max_block` frames. Not real-time.
  void prepare(double sample_rate, std::uint32_t max_block);
  /// Forgets everything measured (integrated, LRA, maxima). Not real-time: libebur128
  /// is re-created.
  void reset();
  /// Audio thread: adds n <= max_block frames.
  void process(const double* left, const double* right, std::uint32_t n) noexcept;

  const LoudnessReading& reading() const noexcept { return reading_; }

 private:
  void add(const double* left, const double* right, std::uint32_t n) noexcept;
  void refresh() noexcept;

  ebur128_state* state_ = nullptr;
  double sample_rate_ = 48000.0;
  std::uint32_t max_block_ = 0;
  std::uint32_t hop_frames_ = 4800;      // 100 ms
  std::uint32_t until_refresh_ = 4800;   // frames left before the next 100 ms boundary
  std::vector<double> interleaved_;      // 2 * max_block
  LoudnessReading reading_;
};

}  // namespace lacquer::dsp
