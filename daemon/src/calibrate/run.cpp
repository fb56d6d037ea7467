#include "run.hpp"

#include <algorithm>

#include "lacquer/dsp/biquad.hpp"
#include "sweep.hpp"

namespace lacquer::daemon::calibrate {

namespace {

constexpr int kAttempts = 4;  // a measurement broken by an xrun is taken again

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json bands_json(const std::vector<CorrectionBand>& bands) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& b : bands) {
    out.push_back({{"type", "bell"}, {"freq", b.freq_hz}, {"gain", b.gain_db}, {"q", b.q}});
  }
  return out;
}

// `x` through RBJ bells designed as the monitor path designs its correction.
std::vector<float> through_bells(std::vector<float> x, const std::vector<CorrectionBand>& bands,
                                 double rate) {
  for (const auto& b : bands) {
    if (b.gain_db == 0.0) continue;
    const auto c = dsp::design_biquad(dsp::BiquadShape::bell, rate, b.freq_hz, b.q, b.gain_db);
    dsp::BiquadState state;
    for (auto& v : x) v = static_cast<float>(state.process(c, v));
  }
  return x;
}

nlohmann::json to_json(const RunOptions& opt, const SweepSpec& spec, const Capture& capture,
                       const Measurement& m, const std::vector<CorrectionBand>& bands) {
  nlohmann::json distortion = nlohmann::json::array();
  for (const auto& d : m.distortion) {
    nlohmann::json harmonics = nlohmann::json::array();
    for (const auto& h : d.harmonic_db) harmonics.push_back(optional_json(h));
    distortion.push_back({{"freq_hz", d.freq_hz}, {"harmonics_db", harmonics},
                          {"thd_percent", d.thd_percent}});
  }
  nlohmann::json out = {
      {"speaker", opt.speaker.empty() ? nlohmann::json(nullptr) : nlohmann::json(opt.speaker)},
      {"output_port", opt.output_label.empty() ? opt.capture.output_port : opt.output_label},
      {"input_port", opt.capture.input_port},
      {"sample_rate", m.sample_rate},
      {"sweep", {{"f1_hz", spec.f1_hz}, {"f2_hz", spec.f2_hz}, {"duration_s", spec.duration_s},
                 {"level_dbfs", spec.level_dbfs}}},
      {"latency_frames", capture.latency_frames},
      {"delay_samples", m.delay_samples},
      {"delay_ms", m.delay_ms},
      {"level_db", m.level_db},
      {"input_peak_dbfs", m.input_peak_dbfs},
      {"noise_floor", {{"rms_dbfs", optional_json(m.noise_rms_dbfs)},
                       {"peak_dbfs", optional_json(m.noise_peak_dbfs)}}},
      {"snr_db", optional_json(m.snr_db)},
      {"response", {{"smoothing_octaves", m.response.smoothing_octaves},
                    {"freq_hz", m.response.freq_hz},
                    {"level_db", m.response.level_db}}},
      {"distortion", {{"harmonics", {2, 3, 4, 5}}, {"bands", distortion}}},
      {"correction", bands_json(bands)},
      {"correction_max_freq_hz", opt.limits.max_freq_hz},
  };
  if (!opt.through.empty()) out["through_correction"] = bands_json(opt.through);
  return out;
}

}  // namespace

RunResult run_measurement(const RunOptions& opt,
                          const std::function<void(const std::string&)>& note) {
  RunResult out;
  const auto rate = jack_sample_rate(opt.capture.server_name);
  if (!rate.error.empty()) {
    out.error = rate.error;
    return out;
  }
  SweepSpec spec;
  spec.sample_rate = rate.rate;
  spec.f2_hz = std::min(spec.f2_hz, 0.45 * rate.rate);
  spec.duration_s = opt.duration_s;
  spec.level_dbfs = opt.level_dbfs;
  const auto sweep = exponential_sweep(spec);
  const auto played = opt.through.empty() ? sweep : through_bells(sweep, opt.through, spec.sample_rate);

  CaptureResult captured;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    captured = jack_capture(opt.capture, played);
    if (captured.capture || !captured.xrun) break;
    if (attempt < kAttempts) note(captured.error + "; measuring again");
  }
  if (!captured.capture) {
    out.error = captured.error;
    return out;
  }
  if (captured.capture->sample_rate != spec.sample_rate) {
    out.error = "the JACK server's sample rate changed";
    return out;
  }
  auto analysis = analyse(spec, sweep, *captured.capture);
  if (analysis.error) {
    out.error = opt.capture.input_port + ": " + analysis.error->message;
    return out;
  }
  const auto& m = *analysis.measurement;
  out.correction = design_correction(m.fine, m.level_db, m.sample_rate, opt.limits);
  out.json = to_json(opt, spec, *captured.capture, m, out.correction);
  out.measurement = std::move(analysis.measurement);
  return out;
}

}  // namespace lacquer::daemon::calibrate
