#pragma once
// Measures a speaker through the running daemon. The sweep plays on the speaker's monitor
// output in place of the monitors' feed (the backend's process callback walks a preallocated
// buffer), a recorder client of our own records the configured microphone port, and the
// capture and analysis run on this service's worker, never on the audio or control thread.
// On the control executor the result is stored (per speaker set and speaker, dated) and the
// set's newest measurements are applied to the monitor path: trims align every measured
// speaker's level to the quietest one, delays align every arrival to the farthest speaker,
// and each speaker's correction bands fill its four correction EQ bands (the rest off).
// A verification measures a speaker again with the sweep through the correction bells the
// monitor path holds for it now: the response after correction, stored beside the
// measurement (kind "verification") and never applied. Started from the API or through the
// hub (/calibration/measure, /calibration/verify); /calibration/status follows each one.

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "audio/jack_backend.hpp"
#include "calibrate/correction.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/session/store.hpp"

namespace lacquer::daemon {

struct CalibrationRequest {
  std::string speaker_set = "main";  ///< main, alt or mini
  std::string speaker;               ///< left or right
  double level_dbfs = -20.0;         ///< the sweep's peak
  double duration_s = 5.0;
  bool verify = false;               ///< through the speaker's correction; nothing applied
};

/// The monitor path's values that align and correct a speaker set from its speakers' newest
/// measurements (a snapshot-shaped object of /monitor/speakers/SET/SIDE/... paths).
nlohmann::json calibration_alignment(const std::vector<session::Calibration>& set_calibrations);

/// A stored calibration as the API shows it.
nlohmann::json calibration_json(const session::Calibration& c);

class CalibrationService : public control::CalibrationPort {
 public:
  using Post = std::function<void(std::function<void()>)>;
  using Done = std::function<void(control::Expected<nlohmann::json>)>;

  CalibrationService(JackBackend& jack, session::Store& store, control::ControlHub& hub,
                     std::string microphone, std::string jack_server, Post on_executor);
  ~CalibrationService() override;
  CalibrationService(const CalibrationService&) = delete;
  CalibrationService& operator=(const CalibrationService&) = delete;

  /// Control executor: starts a measurement. `done` runs on the executor with
  /// {"calibration": stored, "applied": {path: value}} or the reason it was refused or failed.
  void measure(const CalibrationRequest& request, Done done);
  /// Control executor (the hub): starts one of "SET/SPEAKER"; its end is announced.
  control::Expected<std::string> measure(std::string_view speaker, bool verify) override;
  std::string status() const override { return status_; }
  /// Control executor: the newest measurement of every speaker (with the verification
  /// taken after it as "after"), and the microphone port.
  control::Expected<nlohmann::json> latest() const;
  bool busy() const noexcept { return busy_; }
  /// Control executor: waits for a running measurement; its result is dropped.
  void stop();

 private:
  /// Checks and starts; the status it starts with, or why not.
  control::Expected<std::string> start(const CalibrationRequest& request, Done done);
  void finish(const CalibrationRequest& request, const nlohmann::json& result, const Done& done);
  /// The correction bells the monitor path holds for the speaker (gain 0: none).
  std::vector<calibrate::CorrectionBand> correction_of(const CalibrationRequest& request) const;
  void set_status(std::string status);

  JackBackend& jack_;
  session::Store& store_;
  control::ControlHub& hub_;
  std::string microphone_;
  std::string jack_server_;
  Post on_executor_;
  std::string status_ = "idle";  // control executor only
  bool busy_ = false;      // control executor only
  bool stopping_ = false;  // control executor only
  std::thread worker_;
};

}  // namespace lacquer::daemon
