#pragma once
// Measures a speaker through the running daemon. The sweep plays on the speaker's monitor
// output in place of the monitors' feed (the backend's process callback walks a preallocated
// buffer), a recorder client of our own records the configured microphone port, and the
// capture and analysis run on this service's worker, never on the audio or control thread.
// On the control executor the result is stored (per speaker set and speaker, dated) and the
// set's newest measurements are applied to the monitor path: trims align every measured
// speaker's level to the quietest one, delays align every arrival to the farthest speaker,
// and each speaker's correction bands fill its four correction EQ bands (the rest off).

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/jack_backend.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/session/store.hpp"

namespace lacquer::daemon {

struct CalibrationRequest {
  std::string speaker_set = "main";  ///< main, alt or mini
  std::string speaker;               ///< left or right
  double level_dbfs = -20.0;         ///< the sweep's peak
  double duration_s = 5.0;
};

/// The monitor path's values that align and correct a speaker set from its speakers' newest
/// measurements (a snapshot-shaped object of /monitor/speakers/SET/SIDE/... paths).
nlohmann::json calibration_alignment(const std::vector<session::Calibration>& set_calibrations);

/// A stored calibration as the API shows it.
nlohmann::json calibration_json(const session::Calibration& c);

class CalibrationService {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using Done = std::function<void(control::Expected<nlohmann::json>)>;

  CalibrationService(JackBackend& jack, session::Store& store, control::ControlHub& hub,
                     std::string microphone, std::string jack_server, Post on_executor);
  ~CalibrationService();
  CalibrationService(const CalibrationService&) = delete;
  CalibrationService& operator=(const CalibrationService&) = delete;

  /// Control executor: starts a measurement. `done` runs on the executor with
  /// {"calibration": stored, "applied": {path: value}} or the reason it was refused or failed.
  void measure(const CalibrationRequest& request, Done done);
  /// Control executor: the newest measurement of every speaker, and the microphone port.
  control::Expected<nlohmann::json> latest() const;
  bool busy() const noexcept { return busy_; }
  /// Control executor: waits for a running measurement; its result is dropped.
  void stop();

 private:
  void finish(const CalibrationRequest& request, const nlohmann::json& result, const Done& done);

  JackBackend& jack_;
  session::Store& store_;
  control::ControlHub& hub_;
  std::string microphone_;
  std::string jack_server_;
  Post on_executor_;
  bool busy_ = false;      // control executor only
  bool stopping_ = false;  // control executor only
  std::thread worker_;
};

}  // namespace lacquer::daemon
