#pragma once
// One direction of a measurement, run by a JACK process callback: a player walks through its
// buffer (then plays silence), a recorder fills its buffer. The callback touches only this,
// preallocated; each stream notes JACK's frame time of its first cycle so the two line up.

#include <jack/jack.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

namespace lacquer::daemon::calibrate {

struct SignalStream {
  jack_client_t* client = nullptr;  // a client of our own that runs this stream, or nullptr
  jack_port_t* port = nullptr;      // its port (process())
  bool recorder = false;
  std::vector<float> buffer;        // player: what to play; recorder: what was recorded
  std::size_t pos = 0;              // process thread only, published through `frames`
  jack_nframes_t expected = 0;      // process thread only: the next cycle's frame time
  std::atomic<bool> armed{false};
  std::atomic<bool> started{false};
  std::atomic<jack_nframes_t> start_frame{0};
  std::atomic<std::size_t> frames{0};  // samples played or recorded so far
  std::atomic<bool> broken{false};     // a cycle's frame time did not follow the last one
  std::atomic<bool>* lost = nullptr;
  std::atomic<std::uint64_t>* xruns = nullptr;

  SignalStream() = default;
  SignalStream(const SignalStream&) = delete;
  SignalStream& operator=(const SignalStream&) = delete;

  ~SignalStream() {
    if (client == nullptr) return;
    if (!lost->load()) jack_deactivate(client);
    jack_client_close(client);
  }

  /// Process thread: plays into or records from `io` (the cycle's buffer of the stream's
  /// port), `now` the cycle's frame time (jack_last_frame_time of the client running it). A
  /// player that is not armed plays silence.
  void run(float* io, jack_nframes_t nframes, jack_nframes_t now) noexcept {
    if (!armed.load(std::memory_order_acquire)) {
      if (!recorder) std::fill(io, io + nframes, 0.0f);
      return;
    }
    const std::size_t n = advance(nframes, now);
    if (recorder) {
      std::copy(io, io + n, buffer.data() + pos);
    } else {
      std::copy(buffer.data() + pos, buffer.data() + pos + n, io);
      std::fill(io + n, io + nframes, 0.0f);
    }
    pos += n;
    frames.store(pos, std::memory_order_release);
  }

  static int on_process(jack_nframes_t nframes, void* arg) {
    auto* self = static_cast<SignalStream*>(arg);
    self->run(static_cast<float*>(jack_port_get_buffer(self->port, nframes)), nframes,
              jack_last_frame_time(self->client));
    return 0;
  }
  static void on_shutdown(void* arg) { static_cast<SignalStream*>(arg)->lost->store(true); }
  static int on_xrun(void* arg) {
    static_cast<SignalStream*>(arg)->xruns->fetch_add(1);
    return 0;
  }

 private:
  // This cycle's share of `buffer`, after checking the cycles follow each other.
  std::size_t advance(jack_nframes_t nframes, jack_nframes_t now) noexcept {
    if (!started.load(std::memory_order_relaxed)) {
      start_frame.store(now, std::memory_order_relaxed);
      started.store(true, std::memory_order_release);
    } else if (now != expected) {
      broken.store(true, std::memory_order_relaxed);
    }
    expected = now + nframes;
    return std::min<std::size_t>(nframes, buffer.size() - pos);
  }
};

}  // namespace lacquer::daemon::calibrate
