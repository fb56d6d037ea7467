// lacquer calibrate --output PORT --input PORT [--json] [--level DBFS] [--speaker NAME]
// Measures a loudspeaker in its room with an exponential sine sweep, as a JACK client of its
// own: time of flight, level, smoothed response, harmonic distortion, noise floor, and the
// correction bands that flatten the room's modes. A table for people, --json for programs.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "calibrate/correction.hpp"
#include "calibrate/jack_capture.hpp"
#include "calibrate/measurement.hpp"
#include "calibrate/sweep.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {
namespace {

namespace cal = calibrate;

struct CalibrateCliOptions {
  std::string output;
  std::string input;
  std::string speaker;
  std::string jack_server;
  bool json = false;
  double level_dbfs = -20.0;
  double duration_s = 5.0;
  cal::CorrectionLimits limits;
};

constexpr int kAttempts = 4;  // a measurement broken by an xrun is taken again

nlohmann::json optional_json(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json to_json(const CalibrateCliOptions& opt, const cal::SweepSpec& spec,
                       const cal::Capture& capture, const cal::Measurement& m,
                       const std::vector<cal::CorrectionBand>& bands) {
  nlohmann::json distortion = nlohmann::json::array();
  for (const auto& d : m.distortion) {
    nlohmann::json harmonics = nlohmann::json::array();
    for (const auto& h : d.harmonic_db) harmonics.push_back(optional_json(h));
    distortion.push_back({{"freq_hz", d.freq_hz}, {"harmonics_db", harmonics},
                          {"thd_percent", d.thd_percent}});
  }
  nlohmann::json correction = nlohmann::json::array();
  for (const auto& b : bands) {
    correction.push_back({{"type", "bell"}, {"freq", b.freq_hz}, {"gain", b.gain_db}, {"q", b.q}});
  }
  return {
      {"speaker", opt.speaker.empty() ? nlohmann::json(nullptr) : nlohmann::json(opt.speaker)},
      {"output_port", opt.output},
      {"input_port", opt.input},
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
      {"correction", correction},
      {"correction_max_freq_hz", opt.limits.max_freq_hz},
  };
}

std::string db_or_dash(const std::optional<double>& v) {
  if (!v) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", *v);
  return text;
}

void print_table(const CalibrateCliOptions& opt, const cal::Measurement& m,
                 const std::vector<cal::CorrectionBand>& bands) {
  std::printf("%s -> %s%s\n", opt.output.c_str(), opt.input.c_str(),
              opt.speaker.empty() ? "" : ("  (" + opt.speaker + ")").c_str());
  std::printf("  delay       %.3f ms (%ld samples at %.0f Hz)\n", m.delay_ms, m.delay_samples,
              m.sample_rate);
  std::printf("  level       %+.2f dB (500 Hz - 2 kHz, relative to the sweep)\n", m.level_db);
  std::printf("  noise floor %s dBFS RMS, sweep %s dB above it\n",
              db_or_dash(m.noise_rms_dbfs).c_str(), db_or_dash(m.snr_db).c_str());
  std::printf("\n  response (1/6 octave, dB)\n");
  for (std::size_t i = 0; i < m.response.freq_hz.size(); i += 4) {
    std::printf("  %8.1f Hz %+6.1f\n", m.response.freq_hz[i], m.response.level_db[i]);
  }
  std::printf("\n  distortion (harmonics relative to the fundamental, dB)\n");
  std::printf("  %8s %6s %6s %6s %6s %7s\n", "octave", "H2", "H3", "H4", "H5", "THD %");
  for (const auto& d : m.distortion) {
    std::printf("  %8.1f", d.freq_hz);
    for (const auto& h : d.harmonic_db) std::printf(" %6s", db_or_dash(h).c_str());
    std::printf(" %7.3f\n", d.thd_percent);
  }
  std::printf("\n  correction (bells up to %.0f Hz)\n", opt.limits.max_freq_hz);
  if (bands.empty()) std::printf("  (none needed)\n");
  for (const auto& b : bands) {
    std::printf("  %7.1f Hz %+6.1f dB  Q %.2f\n", b.freq_hz, b.gain_db, b.q);
  }
}

int run(const CalibrateCliOptions& opt) {
  const auto rate = cal::jack_sample_rate(opt.jack_server);
  if (!rate.error.empty()) {
    std::fprintf(stderr, "lacquer calibrate: %s\n", rate.error.c_str());
    return 1;
  }
  cal::SweepSpec spec;
  spec.sample_rate = rate.rate;
  spec.f2_hz = std::min(spec.f2_hz, 0.45 * rate.rate);
  spec.duration_s = opt.duration_s;
  spec.level_dbfs = opt.level_dbfs;
  const auto sweep = cal::exponential_sweep(spec);

  cal::JackCaptureOptions capture_options;
  capture_options.server_name = opt.jack_server;
  capture_options.output_port = opt.output;
  capture_options.input_port = opt.input;
  cal::CaptureResult captured;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    captured = cal::jack_capture(capture_options, sweep);
    if (captured.capture || !captured.xrun) break;
    if (attempt < kAttempts) {
      std::fprintf(stderr, "lacquer calibrate: %s; measuring again\n", captured.error.c_str());
    }
  }
  if (!captured.capture) {
    std::fprintf(stderr, "lacquer calibrate: %s\n", captured.error.c_str());
    return 1;
  }
  if (captured.capture->sample_rate != spec.sample_rate) {
    std::fprintf(stderr, "lacquer calibrate: the JACK server's sample rate changed\n");
    return 1;
  }
  const auto analysis = cal::analyse(spec, sweep, *captured.capture);
  if (analysis.error) {
    std::fprintf(stderr, "lacquer calibrate: %s: %s\n", opt.input.c_str(),
                 analysis.error->message.c_str());
    return 1;
  }
  const auto& m = *analysis.measurement;
  const auto bands = cal::design_correction(m.fine, m.level_db, m.sample_rate, opt.limits);
  if (opt.json) {
    std::printf("%s\n", to_json(opt, spec, *captured.capture, m, bands).dump(2).c_str());
  } else {
    print_table(opt, m, bands);
  }
  return 0;
}

std::function<int()> setup_calibrate(CLI::App& app) {
  auto opt = std::make_shared<CalibrateCliOptions>();
  app.add_option("--output", opt->output, "JACK port of the speaker (e.g. system:playback_1)")
      ->required();
  app.add_option("--input", opt->input, "JACK port of the measurement microphone (e.g. system:capture_1)")
      ->required();
  app.add_flag("--json", opt->json, "Print one JSON object");
  app.add_option("--level", opt->level_dbfs, "Peak level of the sweep (dBFS)")
      ->check(CLI::Range(-60.0, -1.0))
      ->capture_default_str();
  app.add_option("--duration", opt->duration_s, "Length of the sweep (s)")
      ->check(CLI::Range(1.0, 30.0))
      ->capture_default_str();
  app.add_option("--speaker", opt->speaker, "Name of the speaker measured");
  app.add_option("--jack-server", opt->jack_server, "JACK server name (default: the default server)");
  app.add_option("--max-freq", opt->limits.max_freq_hz, "No correction band above (Hz)")
      ->check(CLI::Range(40.0, 2000.0))
      ->capture_default_str();
  app.add_option("--max-bands", opt->limits.max_bands, "Correction bands at most")
      ->check(CLI::Range(0, 8))
      ->capture_default_str();
  return [opt]() -> int { return run(*opt); };
}

const bool registered = register_subcommand(
    "calibrate",
    "Measure a speaker in the room with a sine sweep: delay, level, response, distortion and "
    "correction bands",
    setup_calibrate);

}  // namespace
}  // namespace lacquer::daemon
