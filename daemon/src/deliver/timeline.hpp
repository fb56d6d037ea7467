#pragma once
// Tracks rendered to float files, placed on one timeline and mixed block by block: the CD
// image and the vinyl sides. Crossfades are sin² in / cos² out over the same samples, which
// sum to one, so a fade never lifts a peak.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "sound_io.hpp"

namespace lacquer::daemon::deliver {

/// Where one render plays on the timeline, in samples.
struct Placement {
  std::int64_t start = 0, end = 0;         ///< the render's first sample and one past its last
  std::int64_t fade_in = 0, fade_out = 0;  ///< crossfade lengths at each end
};

class TimelineMixer {
 public:
  TimelineMixer(std::vector<std::filesystem::path> renders, std::vector<Placement> places);

  /// Mixes samples [from, to) into left[0 .. to - from) and right, overwriting them. Blocks
  /// must come in order, each no longer than kMaxBlock.
  void mix(std::int64_t from, std::int64_t to, double* left, double* right);

  static constexpr std::int64_t kMaxBlock = 4096;

 private:
  std::vector<std::filesystem::path> renders_;
  std::vector<Placement> places_;
  std::vector<SoundFile> open_;
  std::vector<float> in_;
};

}  // namespace lacquer::daemon::deliver
