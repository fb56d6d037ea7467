// lacquer calibrate --output PORT --input PORT [--json] [--level DBFS] [--speaker NAME]
//                   [--store [--set main|alt|mini] [--db FILE]]
// Measures a loudspeaker in its room with an exponential sine sweep, as a JACK client of its
// own: time of flight, level, smoothed response, harmonic distortion, noise floor, and the
// correction bands that flatten the room's modes. A table for people, --json for programs;
// --store keeps the result as the speaker's newest calibration, which the daemon applies.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "calibrate/run.hpp"
#include "lacquer/session/store.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {
namespace {

namespace cal = calibrate;

struct CalibrateCliOptions {
  std::string output;
  std::string input;
  std::string speaker;
  std::string jack_server;
  bool store = false;
  std::string speaker_set = "main";
  std::string db;
  bool json = false;
  double level_dbfs = -20.0;
  double duration_s = 5.0;
  cal::CorrectionLimits limits;
};

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
  cal::RunOptions run;
  run.capture.server_name = opt.jack_server;
  run.capture.output_port = opt.output;
  run.capture.input_port = opt.input;
  run.speaker = opt.speaker;
  run.level_dbfs = opt.level_dbfs;
  run.duration_s = opt.duration_s;
  run.limits = opt.limits;
  if (opt.store && opt.speaker != "left" && opt.speaker != "right") {
    std::fprintf(stderr, "lacquer calibrate: --store needs --speaker left or --speaker right\n");
    return 1;
  }
  // Opened first: a database that cannot be written fails before the room hears a sweep.
  std::unique_ptr<session::Store> store;
  if (opt.store) {
    try {
      store = session::Store::open(session::database_path(opt.db));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "lacquer calibrate: %s\n", e.what());
      return 1;
    }
  }
  const auto result = cal::run_measurement(run, [](const std::string& line) {
    std::fprintf(stderr, "lacquer calibrate: %s\n", line.c_str());
  });
  if (!result.measurement) {
    std::fprintf(stderr, "lacquer calibrate: %s\n", result.error.c_str());
    return 1;
  }
  if (store) {
    auto stored = store->add_calibration(opt.speaker_set, opt.speaker, result.json);
    if (!stored) {
      std::fprintf(stderr, "lacquer calibrate: not stored: %s\n", stored.error().message.c_str());
      return 1;
    }
  }
  if (opt.json) {
    std::printf("%s\n", result.json.dump(2).c_str());
  } else {
    print_table(opt, *result.measurement, result.correction);
    if (store) {
      std::printf("\n  stored as speaker set %s, %s\n", opt.speaker_set.c_str(),
                  opt.speaker.c_str());
    }
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
  app.add_flag("--store", opt->store,
                             "Store the result as this speaker's calibration (needs --speaker "
                             "left or right); the daemon applies the newest of each speaker");
  app.add_option("--set", opt->speaker_set, "Speaker set measured (with --store)")
      ->check(CLI::IsMember({"main", "alt", "mini"}))
      ->capture_default_str();
  app.add_option("--db", opt->db, "Database file (with --store; default: the daemon's)");

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
