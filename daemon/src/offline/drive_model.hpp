#pragma once
// The print's integrated loudness against the limiter's drive, predicted from one reading of
// the limiter's input, for a render's target search: a pass runs the limiter and the output
// over the whole signal, a prediction takes a few milliseconds.
//
// The input is kept in steps of at most kStep frames: the K-weighted energy (BS.1770) and the
// sample peak of each. At a drive, a step asks for the reduction that takes its peak to the
// ceiling; that is held over the limiter's hold and lookahead and released exponentially, as
// the limiter does, and scales the step's energy with the drive. The 100 ms blocks are gated
// as BS.1770 gates them. Sample peaks for true peaks and one gain per step leave an offset
// from what a pass measures; it changes slowly with the drive, so the search adds the offset
// its last pass measured to the prediction.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lacquer/dsp/integrated_loudness.hpp"

namespace lacquer::daemon {

/// The settings of the limiter and of what follows it that the loudness depends on.
struct LimiterShape {
  double ceiling_dbtp = 0.0;
  double release_ms = 100.0;
  double hold_ms = 10.0;
  double lookahead_ms = 2.0;
  double output_gain_db = 0.0;
};

class DriveLoudnessModel {
 public:
  static constexpr std::uint32_t kStep = 16;

  explicit DriveLoudnessModel(double sample_rate);

  /// Adds n planar stereo frames of the limiter's input (before the drive).
  void push(const double* left, const double* right, std::size_t n);

  /// The predicted integrated loudness (LUFS) of the output at `drive_db`; -inf for silence.
  double lufs(double drive_db, const LimiterShape& shape) const;
  /// The drive in [lowest, highest] at which lufs() reads `target_lufs`, to 0.001 dB; NaN when
  /// the prediction does not reach it in that range.
  double drive_for(double target_lufs, const LimiterShape& shape, double lowest,
                   double highest) const;

 private:
  double sample_rate_;
  dsp::IntegratedLoudness weighting_;  // only for its K-weighting, frame by frame
  std::uint32_t block_frames_;
  std::uint32_t in_block_ = 0;         // frames of the current block so far
  std::uint32_t in_step_ = 0;          // frames of the current step so far
  double step_energy_ = 0.0;           // its K-weighted energy so far
  double step_peak_ = 0.0;             // its sample peak so far (linear)
  std::vector<double> energy_;         // per complete step: K-weighted energy
  std::vector<double> peak_db_;        // per complete step: sample peak (dBFS)
  std::vector<std::uint32_t> block_ends_;  // the step each 100 ms block ends before
  std::vector<double> frame_energy_;   // push()'s scratch
};

}  // namespace lacquer::daemon
