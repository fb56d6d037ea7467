#pragma once
// The real-time engine: owns the parameter store and the active chain, swaps in chains
// prepared off the audio thread, and hands retired ones back for freeing. process() is the
// only function called on the audio thread.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "lacquer/dsp/chain.hpp"
#include "lacquer/dsp/param_store.hpp"
#include "lacquer/dsp/spsc_ring.hpp"
#include "lacquer/dsp/triple_buffer.hpp"

namespace lacquer::dsp {

class Engine {
 public:
  /// Largest nframes handled in one crossfade pass; longer periods are split.
  static constexpr std::uint32_t kMaxPeriod = 8192;

  explicit Engine(const Schema& schema);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  ParamStore& params() noexcept { return params_; }
  const ParamStore& params() const noexcept { return params_; }

  /// The stores of snapshots A (0) and B (1): while the monitors compare snapshots, a chain
  /// for each plays from the same input and the monitors hear the one selected. The chains
  /// exist once restart_snapshots() was called.
  ParamStore& snapshot_params(int which) noexcept { return snapshot_params_[which]; }

  /// Control thread: builds a chain for `sample_rate` from the current parameters and
  /// queues it; the audio thread crossfades to it at its next block. Snapshot chains, once
  /// started, are rebuilt too.
  void rebuild(double sample_rate);
  /// Control thread: queues fresh chains (filter state, meters) for snapshots A and B at the
  /// rate of the last rebuild(); a compare of snapshots starts with them.
  void restart_snapshots();

  /// Control thread: queues a prepared chain.
  void install(std::unique_ptr<Chain> chain);

  /// Control thread: frees chains the audio thread has retired. Returns how many.
  std::size_t collect_garbage();

  /// What the monitor path takes and gives besides the input, print and monitor feed, for
  /// one process() call of nframes.
  struct MonitorIo {
    std::array<const float*, 2> reference{};  ///< the reference track heard; null: none loaded
    MonitorPath::SourceLoudness reference_loudness{};
    std::array<float*, 2> listen{};           ///< the listeners' feed; null: nobody listens
  };

  /// Audio thread: runs the active chain (silence until one is installed). `io` may be null.
  void process(const float* const in[2], float* const out[2], float* const mon[2],
               std::uint32_t nframes, const MonitorIo* io = nullptr) noexcept;

  /// Any thread: latency of the newest installed chain, in frames.
  std::uint32_t latency_frames() const noexcept {
    return latency_frames_.load(std::memory_order_acquire);
  }

  /// Reader thread (one): the newest meters; false when none were published since.
  bool read_meters(MeterSnapshot& out) noexcept { return meters_.read(out); }

  /// Any thread: the meters start a new measurement (integrated, LRA, true-peak and other
  /// maxima) at the audio thread's next block.
  void restart_meters() noexcept { meter_restarts_.fetch_add(1, std::memory_order_release); }

  /// Chains swapped in by the audio thread so far.
  std::uint64_t swaps() const noexcept { return swaps_.load(std::memory_order_relaxed); }

 private:
  void retire(Chain* chain) noexcept;
  void take_pending() noexcept;
  bool comparing_snapshots() const noexcept;
  void run_slice(const float* const in[2], float* const out[2], float* const mon[2],
                 std::uint32_t nframes, Chain::MonitorFeeds& feeds) noexcept;

  ParamStore params_;
  std::array<ParamStore, 2> snapshot_params_;
  ParamId compare_id_;                       // /monitor/compare
  std::atomic<double> sample_rate_{0.0};     // of the last rebuild()
  bool snapshots_started_ = false;           // control thread: snapshot chains were asked for
  std::array<std::atomic<Chain*>, 2> snapshot_pending_{};
  std::array<Chain*, 2> snapshot_active_{};  // audio thread's snapshot chains
  std::vector<float> snapshot_scratch_;      // their prints: [A|B][channel] x kMaxPeriod
  std::atomic<Chain*> pending_{nullptr};   // installed, not yet picked up by the audio thread
  Chain* active_ = nullptr;                // audio thread's chain
  Chain* fading_out_ = nullptr;            // previous chain during a crossfade
  std::uint32_t fade_position_ = 0;        // frames of the crossfade done
  std::uint32_t fade_length_ = 0;          // crossfade length in frames
  SpscRing<Chain*> retired_;               // audio thread -> control thread
  std::atomic<std::uint32_t> latency_frames_{0};
  std::atomic<std::uint64_t> swaps_{0};
  std::atomic<std::uint32_t> meter_restarts_{0};  // asked for, by any thread
  std::uint32_t meter_restarts_done_ = 0;          // audio thread: carried out
  std::vector<float> fade_scratch_;        // the old chain's outputs during a crossfade
  TripleBuffer<MeterSnapshot> meters_;
};

}  // namespace lacquer::dsp
