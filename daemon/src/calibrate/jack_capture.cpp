#include "jack_capture.hpp"

#include <jack/jack.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "signal_stream.hpp"

namespace lacquer::daemon::calibrate {

namespace {

using namespace std::chrono_literals;

// libjack reports a failed join with lines of its own; our message says it better.
void quiet(const char*) {}

jack_client_t* open_client(const std::string& name, const std::string& server) {
  jack_set_error_function(quiet);
  int options = JackNoStartServer | JackUseExactName;
  if (!server.empty()) options |= JackServerName;
  jack_client_t* client = jack_client_open(name.c_str(), static_cast<jack_options_t>(options),
                                           nullptr, server.c_str());
  if (client == nullptr) {
    // Another calibration may be running: take the name JACK offers.
    options &= ~JackUseExactName;
    client = jack_client_open(name.c_str(), static_cast<jack_options_t>(options), nullptr,
                              server.c_str());
  }
  return client;
}

std::string no_server(const std::string& server) {
  return "cannot connect to " +
         (server.empty() ? std::string("the default JACK server") : "JACK server '" + server + "'") +
         ": is it running?";
}

// Checks that `name` exists and that audio flows the way the option means.
std::string check_port(jack_client_t* client, const std::string& option, const std::string& name,
                       unsigned long direction) {
  jack_port_t* port = jack_port_by_name(client, name.c_str());
  if (port == nullptr) return "no JACK port '" + name + "' (" + option + "; jack_lsp lists them)";
  if ((jack_port_flags(port) & direction) == 0) {
    return option == "--output"
               ? "'" + name + "' sends audio; --output takes a port that receives it (a speaker's, e.g. system:playback_1)"
               : "'" + name + "' receives audio; --input takes a port that sends it (a microphone's, e.g. system:capture_1)";
  }
  if (std::string(jack_port_type(port)) != JACK_DEFAULT_AUDIO_TYPE) {
    return "'" + name + "' is not an audio port";
  }
  return {};
}

}  // namespace

SampleRate jack_sample_rate(const std::string& server_name) {
  jack_client_t* client = open_client("lacquer_calibrate", server_name);
  if (client == nullptr) return {0.0, no_server(server_name)};
  const double rate = jack_get_sample_rate(client);
  jack_client_close(client);
  return {rate, {}};
}

CaptureResult jack_capture(const JackCaptureOptions& options, const std::vector<float>& signal) {
  std::atomic<bool> lost{false};
  std::atomic<std::uint64_t> xruns{0};
  SignalStream player;
  SignalStream recorder;
  for (SignalStream* s : {&player, &recorder}) {
    s->lost = &lost;
    s->xruns = &xruns;
  }
  recorder.recorder = true;
  const bool own_player = !options.player;
  if (own_player) {
    player.client = open_client("lacquer_calibrate", options.server_name);
    if (player.client == nullptr) return {std::nullopt, no_server(options.server_name)};
  }
  recorder.client = open_client("lacquer_calibrate_mic", options.server_name);
  if (recorder.client == nullptr) return {std::nullopt, no_server(options.server_name)};

  if (own_player) {
    auto error = check_port(player.client, "--output", options.output_port, JackPortIsInput);
    if (!error.empty()) return {std::nullopt, std::move(error)};
  }
  if (auto error = check_port(recorder.client, "--input", options.input_port, JackPortIsOutput);
      !error.empty()) {
    return {std::nullopt, std::move(error)};
  }
  // Another client's port is only read through our recorder's handle on it.
  jack_port_t* played_port = own_player ? nullptr
                                        : jack_port_by_name(recorder.client,
                                                            options.player->port_name.c_str());
  if (!own_player && played_port == nullptr) {
    return {std::nullopt, "no JACK port '" + options.player->port_name + "' to play from"};
  }

  const double fs = jack_get_sample_rate(recorder.client);
  const auto noise = static_cast<std::size_t>(options.noise_s * fs);
  const auto tail = static_cast<std::size_t>(options.tail_s * fs);
  // Room for the cycles between arming the recorder and the player starting.
  const auto slack = static_cast<std::size_t>(fs);
  player.buffer.assign(noise + signal.size(), 0.0f);
  std::copy(signal.begin(), signal.end(), player.buffer.begin() + static_cast<long>(noise));
  recorder.buffer.assign(slack + player.buffer.size() + tail, 0.0f);

  if (own_player) {
    player.port =
        jack_port_register(player.client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  }
  recorder.port = jack_port_register(recorder.client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  if ((own_player && player.port == nullptr) || recorder.port == nullptr) {
    return {std::nullopt, "cannot register JACK ports"};
  }
  std::vector<SignalStream*> own = {&recorder};
  if (own_player) own.push_back(&player);
  for (SignalStream* s : own) {
    jack_set_process_callback(s->client, &SignalStream::on_process, s);
    jack_on_shutdown(s->client, &SignalStream::on_shutdown, s);
  }
  jack_set_xrun_callback(recorder.client, &SignalStream::on_xrun, &recorder);
  for (SignalStream* s : own) {
    if (jack_activate(s->client) != 0) return {std::nullopt, "cannot activate the JACK clients"};
  }
  if (own_player &&
      jack_connect(player.client, jack_port_name(player.port), options.output_port.c_str()) != 0) {
    return {std::nullopt, "cannot connect to '" + options.output_port + "'"};
  }
  // Someone else's player plays this stream from its own callback until the end of this scope.
  struct Detach {
    const JackCaptureOptions& options;
    ~Detach() {
      if (options.player) options.player->attach(nullptr);
    }
  } detach{options};
  if (!own_player) options.player->attach(&player);
  if (jack_connect(recorder.client, options.input_port.c_str(), jack_port_name(recorder.port)) != 0) {
    return {std::nullopt, "cannot connect from '" + options.input_port + "'"};
  }
  // Let the server propagate the new connections' latencies before they are read.
  jack_recompute_total_latencies(recorder.client);
  std::this_thread::sleep_for(200ms);
  jack_latency_range_t playback{};
  jack_latency_range_t capture{};
  jack_port_get_latency_range(own_player ? player.port : played_port, JackPlaybackLatency, &playback);
  jack_port_get_latency_range(recorder.port, JackCaptureLatency, &capture);

  const std::string lost_message =
      "the JACK server went away during the measurement: nothing was measured";
  const auto wait_for = [&](auto done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (lost.load() || std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
    return true;
  };
  const std::uint64_t xruns_before = xruns.load();
  recorder.armed.store(true, std::memory_order_release);
  if (!wait_for([&] { return recorder.started.load(std::memory_order_acquire); }, 5000ms)) {
    return {std::nullopt, lost.load() ? lost_message : "the JACK server runs no cycles"};
  }
  player.armed.store(true, std::memory_order_release);
  const auto program_ms = std::chrono::milliseconds(
      static_cast<long>(1000.0 * static_cast<double>(player.buffer.size() + tail) / fs) + 5000);
  const bool played = wait_for(
      [&] {
        if (!player.started.load(std::memory_order_acquire)) return false;
        const auto offset = static_cast<std::int32_t>(player.start_frame.load() -
                                                      recorder.start_frame.load());
        return player.frames.load(std::memory_order_acquire) == player.buffer.size() &&
               recorder.frames.load(std::memory_order_acquire) >=
                   std::min(recorder.buffer.size(),
                            static_cast<std::size_t>(std::max(offset, 0)) + player.buffer.size() + tail);
      },
      program_ms);
  if (lost.load()) return {std::nullopt, lost_message};
  if (!played) return {std::nullopt, "the measurement did not finish in time"};

  const auto offset =
      static_cast<std::int32_t>(player.start_frame.load() - recorder.start_frame.load());
  if (player.broken.load() || recorder.broken.load() || xruns.load() != xruns_before) {
    CaptureResult r{std::nullopt, "JACK lost cycles during the measurement (" +
                                      std::to_string(xruns.load() - xruns_before) + " xruns)"};
    r.xrun = true;
    return r;
  }
  if (offset < 0 || static_cast<std::size_t>(offset) > slack) {
    return {std::nullopt, "the player and the recorder did not start together"};
  }
  Capture c;
  c.sample_rate = fs;
  c.latency_frames = static_cast<long>(playback.max + capture.max);
  const auto first = recorder.buffer.begin() + offset;
  c.noise.assign(first, first + static_cast<long>(noise));
  c.recording.assign(first + static_cast<long>(noise),
                     first + static_cast<long>(player.buffer.size() + tail));
  return {std::move(c), {}};
}

}  // namespace lacquer::daemon::calibrate
