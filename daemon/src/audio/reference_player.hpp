#pragma once
// The reference track the monitors can switch to: decoded at the engine's rate and measured
// off the audio thread, swapped in whole, and played from its own position, which advances
// only while the reference is heard (and for the crossfade away from it), so the engineer
// comes back to it where they left it.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "lacquer/analysis/report.hpp"
#include "lacquer/dsp/monitor_path.hpp"
#include "lacquer/dsp/spsc_ring.hpp"
#include "audio/player.hpp"

namespace lacquer::daemon {

/// A decoded, measured reference.
struct ReferenceAudio {
  std::int64_t id = 0;  ///< the store's reference track id
  PlayerTrack track;    ///< at the engine's rate
  double integrated_lufs = -INFINITY;
  double true_peak_dbtp = -INFINITY;
  double short_term_hop_s = 0.1;
  std::vector<double> short_term_lufs;  ///< one value per hop from the start
};

struct LoadedReference {
  std::unique_ptr<ReferenceAudio> audio;
  analysis::TrackReport report;  ///< without the codec round trip
};

/// Decodes `path` at `sample_rate` and analyses it: the loudness the match follows
/// (integrated, true peak, the short-term curve) and the report the console shows.
/// Throws std::runtime_error.
LoadedReference load_reference(std::int64_t id, const std::string& path, double sample_rate);

class ReferencePlayer {
 public:
  ReferencePlayer() = default;
  ~ReferencePlayer();
  ReferencePlayer(const ReferencePlayer&) = delete;
  ReferencePlayer& operator=(const ReferencePlayer&) = delete;

  /// Control thread: replaces the reference (null: none), starting at its beginning.
  void load(std::unique_ptr<ReferenceAudio> audio);
  /// Control thread: frees references the audio thread has let go.
  void collect_garbage();

  /// Audio thread: the reference's next nframes into left/right when `heard` (or within the
  /// crossfade after it was); false when none is loaded or it does not play now (the buffers
  /// are then untouched). `loudness` is filled whenever one is loaded.
  bool render(float* left, float* right, std::uint32_t nframes, bool heard,
              double sample_rate, dsp::MonitorPath::SourceLoudness& loudness) noexcept;

  /// Any thread: frames into the reference (0 when none is loaded).
  std::uint64_t position() const noexcept { return position_.load(std::memory_order_relaxed); }

 private:
  std::atomic<ReferenceAudio*> pending_{nullptr};
  std::atomic<bool> unload_{false};
  ReferenceAudio* active_ = nullptr;  // audio thread's
  dsp::SpscRing<ReferenceAudio*> retired_{8};
  std::uint64_t frames_after_heard_ = 0;  // audio thread: frames played since it was heard
  std::atomic<std::uint64_t> position_{0};
};

}  // namespace lacquer::daemon
