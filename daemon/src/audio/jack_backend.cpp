#include "audio/jack_backend.hpp"

#include <time.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "lacquer/control/rate_limit.hpp"

namespace lacquer::daemon {

namespace {

constexpr const char* kInNames[2] = {"in_1", "in_2"};
constexpr const char* kOutNames[2] = {"out_1", "out_2"};
constexpr const char* kMonNames[2] = {"mon_1", "mon_2"};

std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// libjack reports a failed join with several lines of its own; while joining, the daemon's
// single message (or, while rejoining, the /healthz state) says it better.
std::atomic<bool> g_jack_joining{false};

// Five lines in ten seconds at most: libjack repeats an error as often as it is provoked. Any
// thread may call this; one that finds the limiter busy drops its line instead of waiting.
std::mutex g_jack_log_mutex;
control::LogLimiter g_jack_log_limiter(5, std::chrono::seconds(10));

void jack_error_to_log(const char* message) {
  if (g_jack_joining.load()) return;
  std::unique_lock lock(g_jack_log_mutex, std::try_to_lock);
  std::uint64_t suppressed = 0;
  if (!lock.owns_lock() || !g_jack_log_limiter.allow(control::Clock::now(), suppressed)) return;
  if (suppressed > 0) {
    spdlog::warn("jack: {} ({} more JACK errors suppressed)", message, suppressed);
  } else {
    spdlog::warn("jack: {}", message);
  }
}
void jack_info_to_log(const char* message) { spdlog::debug("jack: {}", message); }

}  // namespace

JackBackend::JackBackend(Options options, dsp::Engine& engine, Player& player)
    : options_(std::move(options)),
      engine_(engine),
      player_(player),
      player_buffer_(2 * std::size_t{dsp::Engine::kMaxPeriod}),
      reference_buffer_(2 * std::size_t{dsp::Engine::kMaxPeriod}),
      listen_buffer_(2 * std::size_t{dsp::Engine::kMaxPeriod}),
      tap_buffer_(2 * std::size_t{dsp::Engine::kMaxPeriod}),
      compare_id_(engine.params().schema().find("/monitor/compare")) {
  jack_set_error_function(jack_error_to_log);
  jack_set_info_function(jack_info_to_log);
}

JackBackend::~JackBackend() { stop(); }

void JackBackend::start() {
  if (!open_client()) {
    const std::string server =
        options_.server_name.empty() ? std::string("the default JACK server")
                                     : "JACK server '" + options_.server_name + "'";
    throw std::runtime_error("cannot connect to " + server +
                             ": is it running? (start one with: jackd -d dummy -r 48000)");
  }
}

void JackBackend::stop() { close_client(); }

bool JackBackend::open_client() {
  g_jack_joining = true;
  int options = JackNoStartServer;
  if (!options_.server_name.empty()) options |= JackServerName;
  jack_status_t status{};
  jack_client_t* opened = jack_client_open(options_.client_name.c_str(),
                                           static_cast<jack_options_t>(options), &status,
                                           options_.server_name.c_str());
  g_jack_joining = false;
  {
    const std::lock_guard lock(client_mutex_);
    client_ = opened;
  }
  if (client_ == nullptr) return false;
  if ((status & JackNameNotUnique) != 0) {
    spdlog::warn("another JACK client is called '{}'; joined as '{}'", options_.client_name,
                 jack_get_client_name(client_));
  }

  for (int c = 0; c < 2; ++c) {
    in_[c] = jack_port_register(client_, kInNames[c], JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    out_[c] =
        jack_port_register(client_, kOutNames[c], JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    mon_[c] =
        jack_port_register(client_, kMonNames[c], JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (in_[c] == nullptr || out_[c] == nullptr || mon_[c] == nullptr) {
      close_client();
      throw std::runtime_error("cannot register JACK ports");
    }
  }

  const std::uint32_t rate = jack_get_sample_rate(client_);
  if (rate != chain_rate_) {
    // A chain for the server's rate, built before activation so the first period has one.
    engine_.rebuild(rate);
    chain_rate_ = rate;
  }
  sample_rate_ = rate;
  period_ = jack_get_buffer_size(client_);

  jack_set_process_callback(client_, &JackBackend::on_process, this);
  jack_set_buffer_size_callback(client_, &JackBackend::on_buffer_size, this);
  jack_set_sample_rate_callback(client_, &JackBackend::on_sample_rate, this);
  jack_set_xrun_callback(client_, &JackBackend::on_xrun, this);
  jack_set_latency_callback(client_, &JackBackend::on_latency, this);
  jack_on_shutdown(client_, &JackBackend::on_shutdown, this);

  server_lost_ = false;
  if (jack_activate(client_) != 0) {
    close_client();
    throw std::runtime_error("cannot activate the JACK client");
  }
  connected_ = true;
  restore_connections();
  spdlog::info("joined JACK{} as '{}' at {} Hz, {} frames per period",
               options_.server_name.empty() ? "" : " server '" + options_.server_name + "'",
               jack_get_client_name(client_), rate, period_.load());
  return true;
}

void JackBackend::close_client() {
  const std::lock_guard lock(client_mutex_);
  if (client_ == nullptr) return;
  connected_ = false;
  if (!server_lost_) jack_deactivate(client_);
  jack_client_close(client_);
  client_ = nullptr;
  // No callback of this client runs any more; the next one starts without the measurement.
  calibration_.store(nullptr, std::memory_order_release);
  std::fill(std::begin(in_), std::end(in_), nullptr);
  std::fill(std::begin(out_), std::end(out_), nullptr);
  std::fill(std::begin(mon_), std::end(mon_), nullptr);
  process_load_ = 0.0;
}

void JackBackend::remember_connections() {
  std::vector<std::pair<std::string, std::string>> now;
  const auto collect = [&](jack_port_t* port) {
    if (port == nullptr) return;
    const char** peers = jack_port_get_all_connections(client_, port);
    if (peers == nullptr) return;
    for (const char** p = peers; *p != nullptr; ++p) now.emplace_back(jack_port_short_name(port), *p);
    jack_free(static_cast<void*>(peers));
  };
  for (int c = 0; c < 2; ++c) {
    collect(in_[c]);
    collect(out_[c]);
    collect(mon_[c]);
  }
  connections_ = std::move(now);
}

std::vector<JackBackend::Connection> JackBackend::restore_connections() {
  std::vector<Connection> pending;
  if (client_ == nullptr) return pending;
  const std::string self = jack_get_client_name(client_);
  for (const auto& [ours, theirs] : connections_) {
    const std::string ours_full = self + ":" + ours;
    jack_port_t* port = jack_port_by_name(client_, ours_full.c_str());
    if (port == nullptr) continue;
    // The peer first: libjack logs an error for every check against a missing port.
    if (jack_port_by_name(client_, theirs.c_str()) == nullptr) {
      pending.emplace_back(ours, theirs);
      continue;
    }
    if (jack_port_connected_to(port, theirs.c_str()) != 0) continue;
    const bool input = (jack_port_flags(port) & JackPortIsInput) != 0;
    const int rc = input ? jack_connect(client_, theirs.c_str(), ours_full.c_str())
                         : jack_connect(client_, ours_full.c_str(), theirs.c_str());
    if (rc == 0) {
      spdlog::info("restored connection {} - {}", ours_full, theirs);
    } else {
      pending.emplace_back(ours, theirs);
    }
  }
  return pending;
}

std::optional<CallbackTimes::Summary> JackBackend::callback_window() const {
  const std::lock_guard lock(callback_window_mutex_);
  return callback_window_;
}

bool JackBackend::supervise() {
  if (const auto now = std::chrono::steady_clock::now(); now - callback_window_started_ >= kCallbackWindow) {
    std::vector<std::uint64_t> counts = callback_times_.snapshot();
    const CallbackTimes::Summary window = CallbackTimes::summarize(callback_window_start_, counts);
    callback_window_start_ = std::move(counts);
    callback_window_started_ = now;
    const std::lock_guard lock(callback_window_mutex_);
    callback_window_ = window;
  }
  engine_.collect_garbage();
  player_.collect_garbage();
  if (reference_ != nullptr) reference_->collect_garbage();
  if (server_lost_.load() && client_ != nullptr) {
    spdlog::error("JACK server went away; rejoining when it returns");
    close_client();
  }
  if (client_ == nullptr) {
    if (!open_client()) return false;
    reconnects_.fetch_add(1);
    return true;
  }
  if (const std::uint32_t rate = sample_rate_.load(); rate != chain_rate_) {
    spdlog::info("JACK runs at {} Hz now; rebuilding the chain", rate);
    engine_.rebuild(rate);
    chain_rate_ = rate;
  }
  // Peers that came back after us are reconnected; then the list follows the user's patching,
  // still waiting for the peers that are not there or not ready yet.
  const std::vector<Connection> pending = restore_connections();
  remember_connections();
  connections_.insert(connections_.end(), pending.begin(), pending.end());
  std::sort(connections_.begin(), connections_.end());
  connections_.erase(std::unique(connections_.begin(), connections_.end()), connections_.end());
  return false;
}

void JackBackend::set_calibration_stream(calibrate::SignalStream* stream, int channel) {
  calibration_channel_.store(channel, std::memory_order_relaxed);
  bool had = false;
  {
    // The executor may be closing the client (a lost server) while this runs.
    const std::lock_guard lock(client_mutex_);
    if (stream != nullptr && client_ == nullptr) return;  // nothing would play it
    had = calibration_.exchange(stream, std::memory_order_acq_rel) != nullptr;
    // The monitors' capture latency is the chain's only while they play the chain.
    if (client_ != nullptr && connected_.load()) jack_recompute_total_latencies(client_);
  }
  if (!had) return;
  // A callback that loaded the old stream has finished once two more cycles have.
  const std::uint64_t seen = cycles_.load(std::memory_order_acquire);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (connected_.load() && cycles_.load(std::memory_order_acquire) < seen + 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

double JackBackend::dsp_load_percent() const noexcept {
  return client_ != nullptr && connected_.load() ? static_cast<double>(jack_cpu_load(client_)) : 0.0;
}

int JackBackend::on_process(jack_nframes_t nframes, void* arg) {
  return static_cast<JackBackend*>(arg)->process(nframes);
}

int JackBackend::process(jack_nframes_t nframes) noexcept {
  const std::uint64_t started = monotonic_ns();
  _mm_setcsr(_mm_getcsr() | 0x8040);  // flush denormals to zero (FTZ | DAZ)

  const float* in[2];
  float* out[2];
  float* mon[2];
  for (int c = 0; c < 2; ++c) {
    in[c] = static_cast<const float*>(jack_port_get_buffer(in_[c], nframes));
    out[c] = static_cast<float*>(jack_port_get_buffer(out_[c], nframes));
    mon[c] = static_cast<float*>(jack_port_get_buffer(mon_[c], nframes));
  }

  const double rate = static_cast<double>(sample_rate_.load(std::memory_order_relaxed));
  for (std::uint32_t offset = 0; offset < nframes; offset += dsp::Engine::kMaxPeriod) {
    const std::uint32_t n = std::min<std::uint32_t>(dsp::Engine::kMaxPeriod, nframes - offset);
    float* played[2] = {player_buffer_.data(), player_buffer_.data() + dsp::Engine::kMaxPeriod};
    const PlayerStatus before = player_.status();
    const bool playing = player_.render(played[0], played[1], n, rate);
    const float* source[2] = {playing ? played[0] : in[0] + offset,
                              playing ? played[1] : in[1] + offset};
    float* print[2] = {out[0] + offset, out[1] + offset};
    float* monitor[2] = {mon[0] + offset, mon[1] + offset};
    dsp::Engine::MonitorIo io;
    if (reference_ != nullptr) {
      const bool heard = before.playing && compare_id_ &&
                         static_cast<dsp::MonitorPath::Compare>(engine_.params().get(*compare_id_)) ==
                             dsp::MonitorPath::Compare::reference;
      float* ref[2] = {reference_buffer_.data(), reference_buffer_.data() + dsp::Engine::kMaxPeriod};
      if (reference_->render(ref[0], ref[1], n, heard, rate, io.reference_loudness)) {
        io.reference = {ref[0], ref[1]};
      }
    }
    const bool listening = tap_ != nullptr && tap_->active.load(std::memory_order_relaxed);
    if (listening) {
      io.listen = {listen_buffer_.data(), listen_buffer_.data() + dsp::Engine::kMaxPeriod};
    }
    engine_.process(source, print, monitor, n, &io);
    if (listening) {
      const float* feed[2] = {io.listen[0], io.listen[1]};
      feed_listeners(feed, n, before.position_frames, before.track, playing);
    }
  }

  if (auto* cal = calibration_.load(std::memory_order_acquire)) {
    const int c = calibration_channel_.load(std::memory_order_relaxed);
    cal->run(mon[c], nframes, jack_last_frame_time(client_));
    std::fill(mon[1 - c], mon[1 - c] + nframes, 0.0f);
  }
  cycles_.fetch_add(1, std::memory_order_release);

  // Load = time in this callback over the period's duration, averaged over about a second.
  const std::uint64_t took = monotonic_ns() - started;
  callback_times_.record(took);
  load_window_ns_ += took;
  load_window_frames_ += nframes;
  if (load_window_frames_ >= sample_rate_.load(std::memory_order_relaxed) && rate > 0.0) {
    const double window_ns = static_cast<double>(load_window_frames_) / rate * 1e9;
    process_load_.store(static_cast<double>(load_window_ns_) / window_ns, std::memory_order_relaxed);
    load_window_ns_ = 0;
    load_window_frames_ = 0;
  }
  return 0;
}

void JackBackend::feed_listeners(const float* const feed[2], std::uint32_t n,
                                 std::uint64_t track_frame, std::int32_t track,
                                 bool playing) noexcept {
  ListenTap& tap = *tap_;
  // The whole period or nothing, so the stream's frame count stays true to the markers.
  if (tap.samples.capacity() - tap.samples.size() < 2 * std::size_t{n} ||
      tap.markers.capacity() == tap.markers.size()) {
    tap.overruns.fetch_add(n, std::memory_order_relaxed);
    return;
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    tap_buffer_[2 * i] = feed[0][i];
    tap_buffer_[2 * i + 1] = feed[1][i];
  }
  TapMarker marker;
  marker.tap_frame = tap.frames_written;
  // What leaves the chain now entered it `latency` frames ago.
  marker.track_frame = static_cast<std::int64_t>(track_frame) -
                       static_cast<std::int64_t>(engine_.latency_frames());
  marker.track = track;
  marker.sample_rate = sample_rate_.load(std::memory_order_relaxed);
  marker.playing = playing;
  marker.compare =
      compare_id_ ? static_cast<std::uint8_t>(engine_.params().get(*compare_id_)) : 0;
  tap.markers.push(marker);
  tap.samples.push(std::span<const float>(tap_buffer_.data(), 2 * std::size_t{n}));
  tap.frames_written += n;
}

int JackBackend::on_buffer_size(jack_nframes_t nframes, void* arg) {
  // Periods longer than Engine::kMaxPeriod are processed in slices; nothing to reallocate.
  static_cast<JackBackend*>(arg)->period_ = nframes;
  return 0;
}

int JackBackend::on_sample_rate(jack_nframes_t rate, void* arg) {
  // JACK's notification thread only records the rate: the chain is rebuilt by supervise() on
  // the control executor, the one thread that builds chains and collects retired ones.
  static_cast<JackBackend*>(arg)->sample_rate_ = rate;
  return 0;
}

int JackBackend::on_xrun(void* arg) {
  static_cast<JackBackend*>(arg)->xruns_.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

void JackBackend::on_latency(jack_latency_callback_mode_t mode, void* arg) {
  // Each output carries the input's latency plus the chain's; inputs carry the outputs'
  // playback latency plus the chain's.
  auto* self = static_cast<JackBackend*>(arg);
  // A measurement's sweep on the monitors is made in the cycle it plays: no latency before it.
  const jack_nframes_t chain = self->engine_.latency_frames();
  const bool measuring = self->calibration_.load() != nullptr;
  jack_latency_range_t range{};
  if (mode == JackCaptureLatency) {
    for (int c = 0; c < 2; ++c) {
      jack_port_get_latency_range(self->in_[c], JackCaptureLatency, &range);
      range.min += chain;
      range.max += chain;
      jack_port_set_latency_range(self->out_[c], JackCaptureLatency, &range);
      jack_latency_range_t none{};
      jack_port_set_latency_range(self->mon_[c], JackCaptureLatency, measuring ? &none : &range);
    }
  } else {
    for (int c = 0; c < 2; ++c) {
      jack_latency_range_t out_range{};
      jack_latency_range_t mon_range{};
      jack_port_get_latency_range(self->out_[c], JackPlaybackLatency, &out_range);
      jack_port_get_latency_range(self->mon_[c], JackPlaybackLatency, &mon_range);
      range.min = std::min(out_range.min, mon_range.min) + chain;
      range.max = std::max(out_range.max, mon_range.max) + chain;
      jack_port_set_latency_range(self->in_[c], JackPlaybackLatency, &range);
    }
  }
}

void JackBackend::on_shutdown(void* arg) {
  auto* self = static_cast<JackBackend*>(arg);
  self->server_lost_ = true;
  self->connected_ = false;
}

}  // namespace lacquer::daemon
