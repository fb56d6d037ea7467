#pragma once
// What remote listeners hear leaves the audio thread here: the monitor path's listeners' feed
// (the compared source as matched, without the room's calibration and correction), interleaved
// stereo, through a lock-free ring, and per period a marker tying the ring's frame count to
// the transport, so packets can carry the track time of their first sample.

#include <atomic>
#include <cstdint>

#include "lacquer/dsp/spsc_ring.hpp"

namespace lacquer::daemon {

struct TapMarker {
  std::uint64_t tap_frame = 0;        ///< index in the tapped stream of the period's first frame
  std::int64_t track_frame = 0;       ///< track position of that frame (chain latency removed)
  std::int32_t track = 0;
  std::uint32_t sample_rate = 48000;
  std::uint8_t compare = 0;           ///< 0 chain, 1 bypass, 2 A, 3 B, 4 reference
  bool playing = false;
};

struct ListenTap {
  static constexpr std::size_t kRingFrames = 1 << 16;  // about 1.4 s at 48 kHz

  ListenTap() : samples(2 * kRingFrames), markers(512) {}

  dsp::SpscRing<float> samples;    ///< interleaved L/R
  dsp::SpscRing<TapMarker> markers;
  std::atomic<bool> active{false};   ///< set while someone listens; the audio thread skips otherwise
  std::atomic<std::uint64_t> overruns{0};  ///< frames dropped because the encoder fell behind
  std::uint64_t frames_written = 0;        ///< audio thread only
};

}  // namespace lacquer::daemon
