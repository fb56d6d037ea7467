#pragma once
// Transport state shared between the player (audio thread) and the control executor.

#include <atomic>
#include <cstdint>

namespace lacquer::daemon {

/// What control reads at UI rate; written by the audio thread.
struct TransportStatus {
  bool playing = false;
  std::int32_t track = 0;       ///< index into the loaded track list
  double position_s = 0.0;      ///< playback position within the track
  double duration_s = 0.0;
  std::uint64_t position_frames = 0;
};

}  // namespace lacquer::daemon
