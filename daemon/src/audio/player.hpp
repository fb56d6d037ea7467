#pragma once
// File player feeding the chain: tracks are decoded (and resampled to the engine's rate) off
// the audio thread into a playlist object that is swapped in whole; transport commands are
// atomics read at the top of each period. While playing, the player replaces the inputs.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lacquer/dsp/spsc_ring.hpp"

namespace lacquer::daemon {

/// Where the player is: a copy assembled from the atomics the audio thread keeps, safe to take
/// on any thread (control::TransportState is what control sees of it).
struct PlayerStatus {
  bool playing = false;
  std::int32_t track = 0;   ///< index into the loaded track list
  double position_s = 0.0;  ///< playback position within the track
  double duration_s = 0.0;
  std::uint64_t position_frames = 0;
};

/// One decoded track at the engine's sample rate.
struct PlayerTrack {
  std::string title;
  std::string file;  ///< source path, "" for generated material
  std::vector<float> left;
  std::vector<float> right;
};

/// Decodes an audio file with libsndfile and resamples it to `sample_rate` with libsoxr.
/// Mono is played on both channels; more than two channels are refused. Throws
/// std::runtime_error naming the file and the problem.
PlayerTrack decode_track(const std::string& path, double sample_rate);

/// A mix-like demo programme (drums, bass, pad, lead) synthesized at `sample_rate`.
PlayerTrack make_demo_track(double sample_rate, double seconds);

class Player {
 public:
  Player();
  ~Player();
  Player(const Player&) = delete;
  Player& operator=(const Player&) = delete;

  /// Control thread: replaces the playlist (stops at the start of track 0). The tracks are
  /// at `sample_rate`, the engine's.
  void load(std::vector<PlayerTrack> tracks, double sample_rate);
  void play() noexcept { playing_.store(true, std::memory_order_relaxed); }
  void stop() noexcept { playing_.store(false, std::memory_order_relaxed); }
  void set_loop(bool loop) noexcept { loop_.store(loop, std::memory_order_relaxed); }
  /// Seconds into the current track; clamped to the track.
  void locate(double seconds) noexcept;
  /// Selects a track (clamped) and locates to its start.
  void select(std::int32_t track) noexcept;
  /// Control thread: the loaded tracks in a new order (`order[new] = old index`), sharing
  /// their audio; the track playing goes on where it is. Ignored when the sizes differ.
  void reorder(const std::vector<std::size_t>& order);

  /// Any thread: a track selected that the audio thread has not taken up yet, else -1.
  std::int32_t pending_selection() const noexcept {
    return select_track_.load(std::memory_order_relaxed);
  }

  /// Any thread: the newest status the audio thread published.
  PlayerStatus status() const noexcept;

  /// Control thread: titles and durations of the loaded tracks.
  struct TrackInfo {
    std::string title;
    std::string file;
    double duration_s = 0.0;
  };
  std::vector<TrackInfo> tracks() const;

  /// Control thread: frees playlists the audio thread has let go.
  void collect_garbage();

  /// Audio thread: writes nframes when playing and returns true; false leaves the buffers.
  bool render(float* left, float* right, std::uint32_t nframes, double sample_rate) noexcept;

 private:
  struct Playlist;

  void publish(Playlist* playlist);

  std::atomic<Playlist*> pending_{nullptr};
  Playlist* loaded_ = nullptr;  // control thread: the newest published (never freed before
                                // a newer one is published)
  Playlist* active_ = nullptr;                 // audio thread's playlist
  std::vector<TrackInfo> infos_;                // control thread's view of the playlist
  dsp::SpscRing<Playlist*> retired_{16};
  std::atomic<bool> playing_{false};
  std::atomic<bool> loop_{true};
  std::atomic<std::int64_t> locate_frames_{-1};  // pending locate, -1 when none
  std::atomic<std::int32_t> select_track_{-1};   // pending track change, -1 when none
  std::atomic<std::int32_t> track_{0};
  std::atomic<std::uint64_t> position_{0};       // frames into the current track
  std::atomic<std::uint64_t> length_{0};         // frames of the current track
  std::atomic<double> rate_{48000.0};
};

}  // namespace lacquer::daemon
