#pragma once
// The JACK client `lacquer`: ports in_1/in_2 (converters or a DAW), out_1/out_2 (the print),
// mon_1/mon_2 (the monitors). The process callback runs the player and the engine only.
// When the server goes away the backend keeps its state and rejoins when it returns, with
// the same ports and connections.

#include <jack/jack.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "calibrate/signal_stream.hpp"
#include "audio/callback_times.hpp"
#include "lacquer/dsp/engine.hpp"
#include "audio/listen_tap.hpp"
#include "audio/player.hpp"
#include "audio/reference_player.hpp"

namespace lacquer::daemon {

class JackBackend {
 public:
  struct Options {
    std::string client_name = "lacquer";
    std::string server_name;  ///< empty: the default server
  };

  JackBackend(Options options, dsp::Engine& engine, Player& player);
  ~JackBackend();
  JackBackend(const JackBackend&) = delete;
  JackBackend& operator=(const JackBackend&) = delete;

  /// Feeds remote listeners; set before start().
  void set_listen_tap(ListenTap* tap) noexcept { tap_ = tap; }
  /// The reference track the monitors can compare with; set before start().
  void set_reference_player(ReferencePlayer* reference) noexcept { reference_ = reference; }

  /// Any thread (a measurement's worker): plays a measurement on monitor output `channel`
  /// (0 left, 1 right) in place of the monitors' feed, the other monitor silent; nullptr
  /// gives the monitors back. Returns once the process callback has let go of the stream it
  /// replaced. Losing the server takes the stream back too: a client that rejoins never
  /// plays a measurement begun before.
  void set_calibration_stream(calibrate::SignalStream* stream, int channel);
  /// Control executor: a monitor port while connected (nullptr otherwise).
  jack_port_t* monitor_port(int channel) const noexcept { return mon_[channel]; }

  /// Joins the server, registers ports and activates. Throws std::runtime_error with a
  /// clear message when no server is running.
  void start();

  /// Deactivates and closes the client.
  void stop();

  /// Control executor, a few times a second: notices a lost server, rejoins a returned one
  /// (restoring connections), rebuilds the chain on a rate change and frees retired objects.
  /// Returns true when it rejoined on this call.
  bool supervise();

  bool connected() const noexcept { return connected_.load(std::memory_order_acquire); }
  std::uint32_t sample_rate() const noexcept { return sample_rate_.load(); }
  std::uint32_t period_frames() const noexcept { return period_.load(); }
  std::uint64_t xruns() const noexcept { return xruns_.load(); }
  std::uint64_t reconnects() const noexcept { return reconnects_.load(); }
  /// JACK's DSP load in percent (0 when disconnected).
  double dsp_load_percent() const noexcept;
  /// Share of the period the process callback used, averaged over the last second (0..1).
  double process_load() const noexcept { return process_load_.load(); }
  /// The process callback's durations over the last complete window of kCallbackWindow
  /// (none before the first has passed).
  std::optional<CallbackTimes::Summary> callback_window() const;
  /// Every callback's duration since the daemon started, for the metrics histogram.
  const CallbackTimes& callback_times() const noexcept { return callback_times_; }
  static constexpr std::chrono::seconds kCallbackWindow{5};
  std::string server_name() const { return options_.server_name; }

 private:
  static int on_process(jack_nframes_t nframes, void* arg);
  static int on_buffer_size(jack_nframes_t nframes, void* arg);
  static int on_sample_rate(jack_nframes_t rate, void* arg);
  static int on_xrun(void* arg);
  static void on_latency(jack_latency_callback_mode_t mode, void* arg);
  static void on_shutdown(void* arg);

  int process(jack_nframes_t nframes) noexcept;
  void feed_listeners(const float* const feed[2], std::uint32_t n, std::uint64_t track_frame,
                      std::int32_t track, bool playing) noexcept;
  bool open_client();
  void close_client();
  using Connection = std::pair<std::string, std::string>;  // (ours, theirs)
  void remember_connections();
  /// Makes each remembered connection that is not there; returns those it could not make
  /// (the peer's port missing, or not ready for a connection yet).
  std::vector<Connection> restore_connections();

  Options options_;
  dsp::Engine& engine_;
  Player& player_;
  jack_client_t* client_ = nullptr;
  // Held while client_ is replaced or closed, and by another thread using it (a
  // measurement's latency recompute); never by the process callback.
  std::mutex client_mutex_;
  jack_port_t* in_[2] = {nullptr, nullptr};
  jack_port_t* out_[2] = {nullptr, nullptr};
  jack_port_t* mon_[2] = {nullptr, nullptr};
  std::vector<float> player_buffer_;  // player output, sized for the largest period
  ReferencePlayer* reference_ = nullptr;
  std::vector<float> reference_buffer_;  // reference output, planar, largest period
  std::vector<float> listen_buffer_;     // listeners' feed, planar, largest period
  ListenTap* tap_ = nullptr;
  std::vector<float> tap_buffer_;     // interleaved copy for the listen tap
  std::atomic<calibrate::SignalStream*> calibration_{nullptr};
  std::atomic<int> calibration_channel_{0};
  std::atomic<std::uint64_t> cycles_{0};  // process callbacks finished
  std::optional<dsp::ParamId> compare_id_;  // /monitor/compare, when the schema has it
  std::vector<Connection> connections_;  // to restore
  std::atomic<bool> connected_{false};
  std::atomic<bool> server_lost_{false};  // set by the shutdown callback
  std::atomic<std::uint32_t> sample_rate_{0};
  std::uint32_t chain_rate_ = 0;  // rate of the newest chain built (control executor only)
  std::atomic<std::uint32_t> period_{0};
  std::atomic<std::uint64_t> xruns_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<double> process_load_{0.0};
  std::uint64_t load_window_ns_ = 0;   // process-callback time summed over the window
  std::uint64_t load_window_frames_ = 0;
  CallbackTimes callback_times_;
  // Control executor: the counts at the start of the current window.
  std::vector<std::uint64_t> callback_window_start_;
  std::chrono::steady_clock::time_point callback_window_started_ = std::chrono::steady_clock::now();
  mutable std::mutex callback_window_mutex_;  // the last summary; never held by the callback
  std::optional<CallbackTimes::Summary> callback_window_;
};

}  // namespace lacquer::daemon
