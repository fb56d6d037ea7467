#include "serve/calibration_service.hpp"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "calibrate/run.hpp"
#include "lacquer/dsp/monitor_path.hpp"
#include "serve/api_routes.hpp"

namespace lacquer::daemon {

namespace {

using control::ErrorCode;
using control::make_error;
using nlohmann::json;

bool one_of(const std::string& v, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return v == n; });
}

}  // namespace

json calibration_alignment(const std::vector<session::Calibration>& set_calibrations) {
  json paths = json::object();
  if (set_calibrations.empty()) return paths;
  double quietest = INFINITY;
  double farthest = 0.0;
  for (const auto& c : set_calibrations) {
    quietest = std::min(quietest, c.result["level_db"].get<double>());
    farthest = std::max(farthest, c.result["delay_ms"].get<double>());
  }
  for (const auto& c : set_calibrations) {
    const std::string p = "/monitor/speakers/" + c.speaker_set + "/" + c.speaker;
    // The quieter a speaker is at the microphone, the less it is turned down: all arrive level.
    paths[p + "/trim"] = quietest - c.result["level_db"].get<double>();
    // The nearer a speaker, the longer it waits: all arrive with the farthest one.
    paths[p + "/delay"] = std::min(dsp::MonitorPath::kMaxDelayMs,
                                   farthest - c.result["delay_ms"].get<double>());
    const auto correction = c.result.value("correction", json::array());
    for (int band = 0; band < dsp::MonitorPath::kCorrectionBands; ++band) {
      const std::string b = p + "/eq/" + std::to_string(band + 1);
      const bool used = band < static_cast<int>(correction.size());
      if (used) {
        paths[b + "/freq"] = correction[band]["freq"];
        paths[b + "/q"] = correction[band]["q"];
      }
      paths[b + "/gain"] = used ? correction[band]["gain"].get<double>() : 0.0;
    }
  }
  return paths;
}

json calibration_json(const session::Calibration& c) {
  return {{"id", c.id},
          {"speaker_set", c.speaker_set},
          {"speaker", c.speaker},
          {"kind", c.kind},
          {"measured_unix_ms", c.created_unix_ms},
          {"result", c.result}};
}

CalibrationService::CalibrationService(JackBackend& jack, session::Store& store,
                                       control::ControlHub& hub, std::string microphone,
                                       std::string jack_server, Post on_executor)
    : jack_(jack),
      store_(store),
      hub_(hub),
      microphone_(std::move(microphone)),
      jack_server_(std::move(jack_server)),
      on_executor_(std::move(on_executor)) {}

CalibrationService::~CalibrationService() { stop(); }

void CalibrationService::stop() {
  stopping_ = true;
  if (worker_.joinable()) worker_.join();
}

void CalibrationService::measure(const CalibrationRequest& request, Done done) {
  auto started = start(request, done);
  if (!started.ok()) done(started.error());
}

control::Expected<std::string> CalibrationService::measure(std::string_view speaker, bool verify) {
  CalibrationRequest request;
  request.verify = verify;
  const auto slash = speaker.find('/');
  request.speaker_set = std::string(speaker.substr(0, slash));
  request.speaker = slash == std::string_view::npos ? "" : std::string(speaker.substr(slash + 1));
  if (!one_of(request.speaker_set, {"main", "alt", "mini"}) ||
      !one_of(request.speaker, {"left", "right"})) {
    return make_error(ErrorCode::invalid_value,
                      "no speaker '" + std::string(speaker.substr(0, 64)) +
                          "': SET/SPEAKER, the set main, alt or mini, the speaker left or right");
  }
  // The outcome reaches everyone as /calibration/status; nobody waits on it here.
  return start(request, [](const control::Expected<json>&) {});
}

control::Expected<std::string> CalibrationService::start(const CalibrationRequest& request,
                                                         Done done) {
  if (!one_of(request.speaker_set, {"main", "alt", "mini"})) {
    return make_error(ErrorCode::invalid_value, "set: main, alt or mini");
  }
  if (!one_of(request.speaker, {"left", "right"})) {
    return make_error(ErrorCode::invalid_value, "speaker: left or right");
  }
  if (!(request.level_dbfs >= -60.0 && request.level_dbfs <= -1.0)) {
    return make_error(ErrorCode::invalid_value, "level_dbfs: -60 to -1");
  }
  if (!(request.duration_s >= 1.0 && request.duration_s <= 30.0)) {
    return make_error(ErrorCode::invalid_value, "duration_s: 1 to 30");
  }
  if (microphone_.empty()) {
    return make_error(ErrorCode::unavailable,
                      "no measurement microphone: set [calibration] microphone to its JACK "
                      "port in the configuration");
  }
  if (busy_ || stopping_) {
    return make_error(ErrorCode::unavailable, "a measurement is running");
  }
  const int channel = request.speaker == "left" ? 0 : 1;
  if (!jack_.connected() || jack_.monitor_port(channel) == nullptr) {
    return make_error(ErrorCode::unavailable, "not connected to JACK");
  }
  if (worker_.joinable()) worker_.join();  // the last one has finished: busy_ is false

  const std::string name = request.speaker_set + "/" + request.speaker;
  calibrate::RunOptions run;
  run.capture.server_name = jack_server_;
  run.capture.input_port = microphone_;
  // The worker names the port only: the backend's client and ports may be replaced (a JACK
  // restart) while it runs, and only this executor sees them change.
  run.output_label = jack_port_name(jack_.monitor_port(channel));
  run.capture.player = calibrate::ExternalPlayer{
      run.output_label,
      [this, channel](calibrate::SignalStream* s) { jack_.set_calibration_stream(s, channel); }};
  run.speaker = request.speaker;
  run.level_dbfs = request.level_dbfs;
  run.duration_s = request.duration_s;
  if (request.verify) run.through = correction_of(request);
  busy_ = true;
  spdlog::info("calibration: {} {} on {}, microphone {}", request.verify ? "verifying" : "measuring",
               name, run.output_label, microphone_);
  worker_ = std::thread([this, run = std::move(run), request, name, done = std::move(done)]() mutable {
    auto result = calibrate::run_measurement(
        run, [](const std::string& line) { spdlog::warn("calibration: {}", line); });
    on_executor_([this, request, name, done = std::move(done), result = std::move(result)] {
      busy_ = false;
      if (stopping_) return;
      if (!result.measurement) {
        spdlog::warn("calibration: {}", result.error);
        set_status("failed " + name + ": " + result.error);
        return done(make_error(ErrorCode::invalid_value, result.error));
      }
      finish(request, result.json, done);
    });
  });
  set_status((request.verify ? "verifying " : "measuring ") + name);
  return status_;
}

void CalibrationService::set_status(std::string status) {
  status_ = std::move(status);
  hub_.announce("/calibration/status");
}

std::vector<calibrate::CorrectionBand> CalibrationService::correction_of(
    const CalibrationRequest& request) const {
  const json state = hub_.state(control::Role::engineer);
  const std::string p = "/monitor/speakers/" + request.speaker_set + "/" + request.speaker + "/eq/";
  std::vector<calibrate::CorrectionBand> bands;
  for (int band = 1; band <= dsp::MonitorPath::kCorrectionBands; ++band) {
    const std::string b = p + std::to_string(band);
    const double gain = state.value(b + "/gain", 0.0);
    if (gain == 0.0) continue;
    bands.push_back({state.value(b + "/freq", 1000.0), gain, state.value(b + "/q", 1.0)});
  }
  return bands;
}

void CalibrationService::finish(const CalibrationRequest& request, const json& result,
                                const Done& done) {
  const std::string name = request.speaker_set + "/" + request.speaker;
  const auto fail = [&](const control::Error& e) {
    set_status("failed " + name + ": " + e.message);
    done(e);
  };
  auto stored = store_.add_calibration(request.speaker_set, request.speaker, result,
                                       request.verify ? "verification" : "measurement");
  if (!stored.ok()) return fail(from_store(stored.error()));
  json applied = json::object();
  if (!request.verify) {
    auto set = store_.latest_calibrations(request.speaker_set);
    if (!set.ok()) return fail(from_store(set.error()));
    applied = calibration_alignment(*set);
    auto count = hub_.apply_state(applied, control::Origin::internal);
    if (!count.ok()) return fail(count.error());
  }
  spdlog::info("calibration: {} {} stored; delay {:.3f} ms, level {:+.2f} dB, {} bands",
               request.verify ? "verification of" : "measurement of", name,
               result["delay_ms"].get<double>(), result["level_db"].get<double>(),
               result["correction"].size());
  set_status((request.verify ? "verified " : "measured ") + name);
  done(json{{"calibration", calibration_json(*stored)}, {"applied", applied}});
}

control::Expected<json> CalibrationService::latest() const {
  auto all = store_.latest_calibrations();
  if (!all.ok()) return from_store(all.error());
  auto verified = store_.latest_calibrations({}, "verification");
  if (!verified.ok()) return from_store(verified.error());
  json speakers = json::array();
  for (const auto& c : *all) {
    json shown = calibration_json(c);
    shown["after"] = nullptr;
    for (const auto& v : *verified) {
      // A verification older than the measurement measured a correction no longer applied.
      if (v.speaker_set == c.speaker_set && v.speaker == c.speaker && v.id > c.id) {
        shown["after"] = calibration_json(v);
      }
    }
    speakers.push_back(std::move(shown));
  }
  return json{{"microphone", microphone_.empty() ? json(nullptr) : json(microphone_)},
              {"measuring", busy_},
              {"speakers", speakers}};
}

}  // namespace lacquer::daemon
