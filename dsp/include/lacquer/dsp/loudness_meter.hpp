#pragma once
// EBU R128 / ITU-R BS.1770 loudness of a stereo signal, on the audio thread.
//
// libebur128 K-weights the audio and gives the energy of each 100 ms block. The 400 ms
// gating blocks of integrated loudness (BS.1770: 75 % overlap, so one every 100 ms, the
// momentary windows) go into a fixed 1000-bin histogram (0.1 LU bins) holding each bin's
// count and exact energy sum, so adding audio never allocates however long it runs, and
// integrated loudness costs one pass over the bins. LRA (EBU Tech 3342) keeps its own
// histogram of the same shape, of every short-term value (10 per second) once 3 s have been
// measured. All allocation happens in prepare(); restart() on the audio thread only clears.
//
// Readings are refreshed at every 100 ms boundary of the input (the BS.1770 gating hop),
// i.e. momentary and short-term are evaluated every 100 ms; the audio is split at those
// boundaries, so readings do not depend on the block size. Each refresh reads only the
// last 100 ms block's energy from libebur128; momentary and short-term are the means of the
// latest 4 and 30 block energies (BS.1770's windows), so a refresh costs the same small
// amount every 100 ms instead of a pass over 3 s of audio.

#include <ebur128.h>

#include <array>
#include <cmath>
#include <cstddef>
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
  /// Audio thread: starts a new measurement (integrated, LRA, maxima) from here on, as
  /// after a locate. Momentary and short-term keep their windows, so the display runs on.
  void restart() noexcept;
  /// Audio thread: adds n <= max_block frames.
  void process(const double* left, const double* right, std::uint32_t n) noexcept;

  const LoudnessReading& reading() const noexcept { return reading_; }

 private:
  void add(const double* left, const double* right, std::uint32_t n) noexcept;
  void refresh() noexcept;
  /// Loudness of the mean of the latest `blocks` 100 ms block energies.
  double mean_energy_lufs(std::size_t blocks) const noexcept;
  /// Counts the latest momentary window as a gating block of integrated loudness; false
  /// when the absolute gate leaves it out.
  bool add_gating_block() noexcept;
  /// BS.1770 integrated loudness of the gating blocks counted so far (-inf: none).
  double integrated_lufs() const noexcept;
  /// Counts a short-term value for LRA; false when the absolute gate leaves it out.
  bool add_to_loudness_range(double short_term_lufs) noexcept;
  /// LRA of the values counted so far (at least one).
  double loudness_range_lu() const noexcept;

  static constexpr unsigned long kBlockMs = 100;
  static constexpr std::size_t kMomentaryBlocks = 4;    // 400 ms
  static constexpr std::size_t kShortTermBlocks = 30;   // 3 s
  static constexpr double kLoudnessOffsetDb = -0.691;   // BS.1770: L = -0.691 + 10 log10(E)
  // EBU Tech 3342: gates and percentiles of the short-term distribution.
  static constexpr double kLraAbsoluteGateLufs = -70.0;
  static constexpr double kLraRelativeGateLu = -20.0;
  static constexpr double kLraLowPercentile = 0.10;
  static constexpr double kLraHighPercentile = 0.95;
  static constexpr double kLraBinLu = 0.1;
  static constexpr std::size_t kLraBins = 1000;  // -70 .. +30 LUFS; louder lands in the last
  // BS.1770 gates of integrated loudness; its histogram has the LRA histogram's bins.
  static constexpr double kGateAbsoluteLufs = -70.0;
  static constexpr double kGateRelativeLu = -10.0;

  ebur128_state* state_ = nullptr;
  double sample_rate_ = 48000.0;
  std::uint32_t max_block_ = 0;
  std::uint32_t hop_frames_ = 4800;      // 100 ms
  std::uint32_t until_refresh_ = 4800;   // frames left before the next 100 ms boundary
  std::vector<double> interleaved_;      // 2 * max_block
  // K-weighted, channel-weighted mean square of each of the latest 30 blocks of 100 ms,
  // a ring whose next slot is next_block_; zero before there were any (as libebur128's
  // zeroed buffer reads).
  std::array<double, kShortTermBlocks> block_energy_{};
  std::size_t next_block_ = 0;
  // Blocks since the last reset or restart, up to 30: whether the momentary and short-term
  // windows hold only audio of this measurement (gating blocks and LRA values count then).
  std::size_t blocks_seen_ = 0;
  // Gating blocks above the absolute gate: their count and energy sum per 0.1 LU bin.
  std::array<std::uint32_t, kLraBins> gate_count_{};
  std::array<double, kLraBins> gate_energy_{};
  double gate_energy_sum_ = 0.0;
  std::uint64_t gate_blocks_ = 0;
  // Short-term values above the absolute gate: their count per 0.1 LU bin, and the sum and
  // count of their energies (10^(L/10)) for the relative gate.
  std::array<std::uint32_t, kLraBins> lra_histogram_{};
  double lra_energy_sum_ = 0.0;
  std::uint64_t lra_count_ = 0;
  LoudnessReading reading_;
};

}  // namespace lacquer::dsp
