#pragma once
// Plays a signal into one JACK port and records another, sample-aligned. Two clients, a
// player and a recorder, keep the graph acyclic through whatever lies between the ports (a
// loudspeaker and a microphone, or another client), so both run in the same cycle and the
// recording is aligned by JACK's frame time, without the period a feedback loop would add.

#include <jack/jack.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "measurement.hpp"

namespace lacquer::daemon::calibrate {

struct SignalStream;

/// Another client's output port that plays the signal (the daemon's monitor output): its
/// process callback runs the attached stream on that port's buffer. Only its name is held
/// here: that client may go and come back with the server while the capture runs.
struct ExternalPlayer {
  std::string port_name;
  /// Hands the stream to that callback; nullptr takes it back and returns only once no
  /// callback can reach it any more.
  std::function<void(SignalStream*)> attach;
};

struct JackCaptureOptions {
  std::string server_name;  ///< empty: the default server
  std::string output_port;  ///< where the signal goes (a playback port: the speaker)
  std::optional<ExternalPlayer> player;  ///< plays instead of a client of our own on output_port
  std::string input_port;   ///< what is recorded (a capture port: the microphone)
  double noise_s = 0.5;     ///< silence recorded first, for the noise floor
  double tail_s = 1.0;      ///< recorded after the signal ends: time of flight and decay
};

struct CaptureResult {
  std::optional<Capture> capture;
  std::string error;  ///< when capture is empty
  bool xrun = false;  ///< the error is a broken recording: measuring again may succeed
};

/// The server's sample rate, or an error message when no server answers.
struct SampleRate {
  double rate = 0.0;
  std::string error;
};
SampleRate jack_sample_rate(const std::string& server_name);

/// Plays `signal` on options.output_port after options.noise_s of silence and records
/// options.input_port: the noise, then the signal's duration and the tail. Ports that do not
/// exist or point the wrong way, a lost server and a broken recording (an xrun) are errors.
CaptureResult jack_capture(const JackCaptureOptions& options, const std::vector<float>& signal);

}  // namespace lacquer::daemon::calibrate
