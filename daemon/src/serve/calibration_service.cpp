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
  if (!one_of(request.speaker_set, {"main", "alt", "mini"})) {
    return done(make_error(ErrorCode::invalid_value, "set: main, alt or mini"));
  }
  if (!one_of(request.speaker, {"left", "right"})) {
    return done(make_error(ErrorCode::invalid_value, "speaker: left or right"));
  }
  if (!(request.level_dbfs >= -60.0 && request.level_dbfs <= -1.0)) {
    return done(make_error(ErrorCode::invalid_value, "level_dbfs: -60 to -1"));
  }
  if (!(request.duration_s >= 1.0 && request.duration_s <= 30.0)) {
    return done(make_error(ErrorCode::invalid_value, "duration_s: 1 to 30"));
  }
  if (microphone_.empty()) {
    return done(make_error(ErrorCode::unavailable,
                           "no measurement microphone: set [calibration] microphone to its JACK "
                           "port in the configuration"));
  }
  if (busy_ || stopping_) {
    return done(make_error(ErrorCode::unavailable, "a measurement is running"));
  }
  const int channel = request.speaker == "left" ? 0 : 1;
  jack_client_t* client = jack_.client();
  if (!jack_.connected() || client == nullptr) {
    return done(make_error(ErrorCode::unavailable, "not connected to JACK"));
  }
  if (worker_.joinable()) worker_.join();  // the last one has finished: busy_ is false

  calibrate::RunOptions run;
  run.capture.server_name = jack_server_;
  run.capture.input_port = microphone_;
  run.capture.player = calibrate::ExternalPlayer{
      client, jack_.monitor_port(channel),
      [this, channel](calibrate::SignalStream* s) { jack_.set_calibration_stream(s, channel); }};
  run.output_label = jack_port_name(jack_.monitor_port(channel));
  run.speaker = request.speaker;
  run.level_dbfs = request.level_dbfs;
  run.duration_s = request.duration_s;
  busy_ = true;
  spdlog::info("calibration: measuring {} {} on {}, microphone {}", request.speaker_set,
               request.speaker, run.output_label, microphone_);
  worker_ = std::thread([this, run = std::move(run), request, done = std::move(done)]() mutable {
    auto result = calibrate::run_measurement(
        run, [](const std::string& line) { spdlog::warn("calibration: {}", line); });
    on_executor_([this, request, done = std::move(done), result = std::move(result)] {
      busy_ = false;
      if (stopping_) return;
      if (!result.measurement) {
        spdlog::warn("calibration: {}", result.error);
        return done(make_error(ErrorCode::invalid_value, result.error));
      }
      finish(request, result.json, done);
    });
  });
}

void CalibrationService::finish(const CalibrationRequest& request, const json& result,
                                const Done& done) {
  auto stored = store_.add_calibration(request.speaker_set, request.speaker, result);
  if (!stored.ok()) return done(from_store(stored.error()));
  auto set = store_.latest_calibrations(request.speaker_set);
  if (!set.ok()) return done(from_store(set.error()));
  const json applied = calibration_alignment(*set);
  auto count = hub_.apply_state(applied, control::Origin::internal);
  if (!count.ok()) return done(count.error());
  spdlog::info("calibration: {} {} stored; delay {:.3f} ms, level {:+.2f} dB, {} bands",
               request.speaker_set, request.speaker, result["delay_ms"].get<double>(),
               result["level_db"].get<double>(), result["correction"].size());
  done(json{{"calibration", calibration_json(*stored)}, {"applied", applied}});
}

control::Expected<json> CalibrationService::latest() const {
  auto all = store_.latest_calibrations();
  if (!all.ok()) return from_store(all.error());
  json speakers = json::array();
  for (const auto& c : *all) speakers.push_back(calibration_json(c));
  return json{{"microphone", microphone_.empty() ? json(nullptr) : json(microphone_)},
              {"measuring", busy_},
              {"speakers", speakers}};
}

}  // namespace lacquer::daemon
