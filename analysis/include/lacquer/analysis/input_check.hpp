#pragma once
// The quick check a render makes of its input while reading it: clipped runs (consecutive
// samples at full scale) and true peak over 0 dBTP, which the chain would carry into the
// deliverable unnoticed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "lacquer/analysis/true_peak.hpp"

namespace lacquer::analysis {

class InputCheck {
 public:
  InputCheck(double sample_rate, int channels, int clip_run = 3);

  /// Adds n interleaved frames.
  void push(const float* interleaved, std::size_t n);
  /// The stream has ended; returns one line per problem found (none for a clean input).
  std::vector<std::string> finish();

 private:
  double rate_;
  int channels_;
  std::size_t clip_run_;
  StreamingTruePeak peak_;
  std::uint64_t frame_ = 0;
  std::vector<std::size_t> run_;      // current run at full scale, per channel
  std::uint64_t runs_ = 0, clipped_samples_ = 0;
  double first_run_s_ = -1.0;
};

}  // namespace lacquer::analysis
