// A simulated room for `lacquer calibrate`: a JACK client whose port `speaker` takes what the
// loudspeaker would play and whose port `mic` gives what the microphone would pick up. In
// between: correction bells (--eq F,G,Q, as a monitor path would apply them), a speaker's 2nd
// harmonic (y = x + c·x²), a room mode (an RBJ bell), the path's gain and the time of flight,
// white noise, and a converter's clip at full scale. `dead` carries the noise alone: a
// microphone that is not plugged in. A second loudspeaker, port `speaker_2`, reaches the same
// microphone over a path of its own: only a gain and a time of flight.
//
// room_sim --server NAME [--name room] [--delay-ms MS] [--gain-db DB] [--mode F,G,Q]
//          [--h2 C] [--noise-dbfs DB] [--eq F,G,Q]... [--delay2-ms MS] [--gain2-db DB]
#include <jack/jack.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rbj_bell.hpp"

namespace {

struct Spec {
  double freq_hz;
  double gain_db;
  double q;
};

struct Room {
  std::vector<lacquer::test::Bell> eq;
  std::vector<double> eq_state;  // two per bell: transposed direct form II
  lacquer::test::Bell mode;
  double mode_state[2] = {0.0, 0.0};
  double h2 = 0.0;
  double gain = 1.0;
  std::vector<float> line;  // the time of flight: a ring of `delay` samples
  std::size_t delay = 0;
  std::size_t at = 0;
  double noise_amplitude = 0.0;  // uniform noise in ±this
  std::uint32_t seed = 2463534242u;
  double gain2 = 1.0;        // the second speaker's path
  std::vector<float> line2;  // its time of flight, a ring of `delay2` samples
  std::size_t delay2 = 0;
  std::size_t at2 = 0;
  jack_port_t* speaker = nullptr;
  jack_port_t* speaker2 = nullptr;
  jack_port_t* mic = nullptr;
  jack_port_t* dead = nullptr;

  static double filter(const lacquer::test::Bell& c, double* s, double x) {
    const double y = c.b0 * x + s[0];
    s[0] = c.b1 * x - c.a1 * y + s[1];
    s[1] = c.b2 * x - c.a2 * y;
    return y;
  }

  float noise() {
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return static_cast<float>(noise_amplitude * (2.0 * seed / 4294967295.0 - 1.0));
  }

  int process(jack_nframes_t n) {
    const auto* in = static_cast<const float*>(jack_port_get_buffer(speaker, n));
    const auto* in2 = static_cast<const float*>(jack_port_get_buffer(speaker2, n));
    auto* out = static_cast<float*>(jack_port_get_buffer(mic, n));
    auto* silent = static_cast<float*>(jack_port_get_buffer(dead, n));
    for (jack_nframes_t i = 0; i < n; ++i) {
      double x = in[i];
      for (std::size_t b = 0; b < eq.size(); ++b) x = filter(eq[b], &eq_state[2 * b], x);
      x += h2 * x * x;
      x = gain * filter(mode, mode_state, x);
      float y = static_cast<float>(x);
      if (delay > 0) {
        std::swap(y, line[at]);
        at = (at + 1) % delay;
      }
      float y2 = static_cast<float>(gain2 * in2[i]);
      if (delay2 > 0) {
        std::swap(y2, line2[at2]);
        at2 = (at2 + 1) % delay2;
      }
      out[i] = std::clamp(y + y2 + noise(), -1.0f, 1.0f);
      silent[i] = noise();
    }
    return 0;
  }
};

Spec parse_spec(const char* text) {
  Spec s{};
  if (std::sscanf(text, "%lf,%lf,%lf", &s.freq_hz, &s.gain_db, &s.q) != 3) {
    std::fprintf(stderr, "room_sim: expected F,G,Q, got '%s'\n", text);
    std::exit(2);
  }
  return s;
}

std::atomic<bool> g_stop{false};

}  // namespace

int main(int argc, char** argv) {
  std::string server;
  std::string name = "room";
  double delay_ms = 0.0;
  double gain_db = 0.0;
  double delay2_ms = 0.0;
  double gain2_db = 0.0;
  double noise_dbfs = -90.0;
  Spec mode{63.0, 0.0, 1.0};
  std::vector<Spec> eq;
  Room room;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i];
    const char* value = argv[i + 1];
    if (key == "--server") server = value;
    else if (key == "--name") name = value;
    else if (key == "--delay-ms") delay_ms = std::atof(value);
    else if (key == "--gain-db") gain_db = std::atof(value);
    else if (key == "--delay2-ms") delay2_ms = std::atof(value);
    else if (key == "--gain2-db") gain2_db = std::atof(value);
    else if (key == "--noise-dbfs") noise_dbfs = std::atof(value);
    else if (key == "--h2") room.h2 = std::atof(value);
    else if (key == "--mode") mode = parse_spec(value);
    else if (key == "--eq") eq.push_back(parse_spec(value));
    else {
      std::fprintf(stderr, "room_sim: unknown option %s\n", key.c_str());
      return 2;
    }
  }
  jack_client_t* client = jack_client_open(
      name.c_str(), static_cast<jack_options_t>(JackNoStartServer | JackServerName | JackUseExactName),
      nullptr, server.c_str());
  if (client == nullptr) {
    std::fprintf(stderr, "room_sim: cannot join JACK server '%s'\n", server.c_str());
    return 1;
  }
  const double fs = jack_get_sample_rate(client);
  for (const auto& s : eq) room.eq.emplace_back(fs, s.freq_hz, s.gain_db, s.q);
  room.eq_state.assign(2 * room.eq.size(), 0.0);
  room.mode = lacquer::test::Bell(fs, mode.freq_hz, mode.gain_db, mode.q);
  room.gain = std::pow(10.0, gain_db / 20.0);
  room.delay = static_cast<std::size_t>(std::lround(delay_ms * 1e-3 * fs));
  room.line.assign(std::max<std::size_t>(room.delay, 1), 0.0f);
  room.gain2 = std::pow(10.0, gain2_db / 20.0);
  room.delay2 = static_cast<std::size_t>(std::lround(delay2_ms * 1e-3 * fs));
  room.line2.assign(std::max<std::size_t>(room.delay2, 1), 0.0f);
  // Uniform noise in ±a has an RMS of a/√3 (dBFS RMS: relative to a full-scale square).
  room.noise_amplitude = std::sqrt(3.0) * std::pow(10.0, noise_dbfs / 20.0);
  room.speaker = jack_port_register(client, "speaker", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  room.speaker2 = jack_port_register(client, "speaker_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
  room.mic = jack_port_register(client, "mic", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  room.dead = jack_port_register(client, "dead", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
  jack_set_process_callback(
      client, [](jack_nframes_t n, void* arg) { return static_cast<Room*>(arg)->process(n); }, &room);
  jack_on_shutdown(client, [](void*) { g_stop = true; }, nullptr);
  if (room.speaker == nullptr || room.speaker2 == nullptr || room.mic == nullptr || room.dead == nullptr ||
      jack_activate(client) != 0) {
    std::fprintf(stderr, "room_sim: cannot register or activate\n");
    return 1;
  }
  signal(SIGTERM, [](int) { g_stop = true; });
  signal(SIGINT, [](int) { g_stop = true; });
  while (!g_stop) usleep(20000);
  jack_client_close(client);
  return 0;
}
