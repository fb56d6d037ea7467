// lacquer analyze FILE... [--json] [--reference FILE] [--html REPORT.html] [--jobs N]
//                         [--clip-run N] [--no-codec]
// Quality control and loudness of files, several at once. A file that cannot be analysed
// gets its own error and the others go on; the exit code is non-zero if any failed.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lacquer/analysis/analysis.hpp"
#include "lacquer/analysis/html_report.hpp"
#include "lacquer/analysis/report_json.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {
namespace {

using analysis::TrackReport;

struct AnalyzeCliOptions {
  std::vector<std::string> files;
  std::string reference;
  std::string html;
  bool json = false;
  bool no_codec = false;
  unsigned jobs = 0;
  int clip_run = 3;
};

/// A bar with ETA on stderr, redrawn by the main thread while workers run.
class ProgressBar {
 public:
  explicit ProgressBar(std::vector<double> weights) : weights_(std::move(weights)), done_(weights_.size()) {
    for (const double w : weights_) total_ += w;
  }
  void set(std::size_t file, double fraction) { done_[file].store(fraction, std::memory_order_relaxed); }
  void draw(bool last) {
    double d = 0.0;
    for (std::size_t i = 0; i < weights_.size(); ++i) d += weights_[i] * done_[i].load(std::memory_order_relaxed);
    const double f = total_ > 0.0 ? std::clamp(d / total_, 0.0, 1.0) : 1.0;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string eta = "--:--";
    if (f > 0.02) {
      const auto s = static_cast<long>(std::lround(elapsed * (1.0 - f) / f));
      char buf[48];
      std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
      eta = buf;
    }
    constexpr int kWidth = 40;
    const int filled = static_cast<int>(f * kWidth);
    std::fprintf(stderr, "\ranalyze [%s%s] %3.0f%%  ETA %s ", std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(kWidth - filled), '.').c_str(), f * 100.0, eta.c_str());
    if (last) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  std::vector<double> weights_;
  std::vector<std::atomic<double>> done_;
  double total_ = 0.0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

std::string level(double v, const char* unit) {
  if (!std::isfinite(v)) return std::string("-inf ") + unit;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, unit);
  return buf;
}

std::string clock(double seconds) {
  const auto ms = static_cast<long long>(std::llround(seconds * 1000.0));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld.%03lld", ms / 60000, ms / 1000 % 60, ms % 1000);
  return buf;
}

void print_track(const TrackReport& t) {
  std::printf("%s\n", t.file.c_str());
  if (t.error) {
    std::printf("  error: %s\n\n", t.error->c_str());
    return;
  }
  const auto& l = t.loudness;
  std::printf("  %d Hz, %d channel%s, %s\n", t.sample_rate, t.channels, t.channels == 1 ? "" : "s",
              clock(t.duration_s).c_str());
  std::printf("  integrated %s   LRA %.1f LU   momentary max %s   short-term max %s\n",
              level(l.integrated_lufs, "LUFS").c_str(), l.lra_lu, level(l.momentary_max_lufs, "LUFS").c_str(),
              level(l.short_term_max_lufs, "LUFS").c_str());
  std::printf("  true peak %s   sample peak %s   PLR %s\n", level(l.true_peak_dbtp, "dBTP").c_str(),
              level(l.sample_peak_dbfs, "dBFS").c_str(), level(l.plr_db, "dB").c_str());
  std::printf("  silence: head %.3f s, tail %.3f s", t.head_silence_s, t.tail_silence_s);
  if (t.correlation) {
    std::printf("   correlation mean %.2f, min %.2f, below 150 Hz %.2f   width %.2f", t.correlation->mean,
                t.correlation->min, t.correlation->low_band_mean, t.stereo_width.value_or(0.0));
  }
  std::printf("\n  channel   DC offset      RMS    crest   sample peak   true peak\n");
  for (const auto& c : t.channel_stats) {
    std::printf("  %7d   %+9.5f %9s %6.1f dB %13s %11s\n", c.channel, c.dc_offset, level(c.rms_dbfs, "dB").c_str(),
                c.crest_db, level(c.sample_peak_dbfs, "dB").c_str(), level(c.true_peak_dbtp, "dB").c_str());
  }
  std::printf("  events: %zu\n", t.events.size());
  constexpr std::size_t kShown = 20;
  for (std::size_t i = 0; i < t.events.size() && i < kShown; ++i) {
    const auto& e = t.events[i];
    const std::string ch = e.channel < 0 ? "all" : "ch " + std::to_string(e.channel);
    std::printf("    %s  %-17s %-7s %-7s %s\n", clock(e.time_s).c_str(), e.type.c_str(), ch.c_str(),
                analysis::severity_name(e.severity), e.detail.c_str());
  }
  if (t.events.size() > kShown) std::printf("    ... %zu more (--json lists them all)\n", t.events.size() - kShown);
  std::printf("  platform            target    gain   true peak after\n");
  for (const auto& p : t.platforms) {
    std::printf("  %-17s %6.0f %+7.1f dB %9s", p.label.c_str(), p.target_lufs, p.gain_db,
                level(p.true_peak_after_dbtp, "dBTP").c_str());
    if (p.album_gain_db) std::printf("   album %+.1f dB", *p.album_gain_db);
    if (!p.note.empty()) std::printf("   %s", p.note.c_str());
    std::printf("\n");
  }
  for (const auto& c : t.codec) {
    std::printf("  %s %d kb/s round trip: true peak %s, %llu samples over full scale, %llu between samples%s\n",
                c.codec.c_str(), c.bitrate_kbps, level(c.true_peak_dbtp, "dBTP").c_str(),
                static_cast<unsigned long long>(c.overs_on_sample),
                static_cast<unsigned long long>(c.overs_inter_sample), c.warning ? "  WARNING" : "");
  }
  if (t.reference) {
    std::printf("  against %s (matched by %+.1f dB), per band:", t.reference->file.c_str(), t.reference->gain_db);
    for (std::size_t b = 0; b < t.reference->band_diff_db.size(); ++b) {
      std::printf("%s %g Hz %+.1f", b % 6 == 0 ? "\n   " : "", t.spectrum.bands_hz[b], t.reference->band_diff_db[b]);
    }
    std::printf("\n");
  }
  for (const auto& w : t.warnings) std::printf("  warning (%s): %s\n", w.format.c_str(), w.message.c_str());
  std::printf("\n");
}

void print_album(const analysis::AlbumReport& a) {
  std::printf("Album: integrated %s, spread %.1f LU, true peak %s\n", level(a.integrated_lufs, "LUFS").c_str(),
              a.loudness_spread_lu, level(a.true_peak_dbtp, "dBTP").c_str());
  std::printf("  loudest %s (%s), quietest %s (%s)\n", a.loudest.file.c_str(),
              level(a.loudest.integrated_lufs, "LUFS").c_str(), a.quietest.file.c_str(),
              level(a.quietest.integrated_lufs, "LUFS").c_str());
  for (const auto& p : a.platforms) std::printf("  %s album play: %+.1f dB\n", p.label.c_str(), p.album_gain_db);
  for (const auto& w : a.warnings) std::printf("  warning: %s\n", w.message.c_str());
}

std::function<int()> setup_analyze(CLI::App& app) {
  auto opt = std::make_shared<AnalyzeCliOptions>();
  app.add_option("FILE", opt->files, "Sound files (WAV, FLAC, AIFF, ...)")->required();
  app.add_flag("--json", opt->json, "Print one JSON object (docs/DESIGN.md)");
  app.add_option("--reference", opt->reference, "A reference master to compare spectra with");
  app.add_option("--html", opt->html, "Write a self-contained HTML report");
  app.add_option("--jobs", opt->jobs, "Files analysed at once (default: the number of CPUs)");
  app.add_option("--clip-run", opt->clip_run, "Consecutive full-scale samples that count as a clip")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_flag("--no-codec", opt->no_codec, "Skip the Opus round trip (codec headroom)");
  return [opt]() -> int {
    analysis::Options options;
    options.clip_run = opt->clip_run;
    options.codec = !opt->no_codec;
    std::vector<std::string> paths = opt->files;
    if (!opt->reference.empty()) paths.push_back(opt->reference);
    const std::size_t n = paths.size();
    std::vector<TrackReport> reports(n);
    std::vector<double> weights;
    for (const auto& p : paths) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(p, ec);
      weights.push_back(ec ? 1.0 : static_cast<double>(std::max<std::uintmax_t>(size, 1)));
    }
    ProgressBar bar(weights);
    const unsigned jobs = std::max(1u, std::min<unsigned>(opt->jobs > 0 ? opt->jobs : std::thread::hardware_concurrency(),
                                                          static_cast<unsigned>(n)));
    // One file per worker at a time; with a single file its codec round trip takes a core.
    options.parallel_codec = jobs == 1;
    std::atomic<std::size_t> next{0};
    std::mutex done_mutex;
    std::condition_variable done;
    std::size_t finished = 0;  // guarded by done_mutex
    std::vector<std::thread> workers;
    for (unsigned w = 0; w < jobs; ++w) {
      workers.emplace_back([&] {
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
          try {
            reports[i] = analysis::analyse_file(paths[i], options, [&bar, i](double f) { bar.set(i, f); });
          } catch (const std::exception& e) {
            reports[i] = TrackReport{};
            reports[i].file = paths[i];
            reports[i].error = e.what();
          }
          bar.set(i, 1.0);
          {
            std::lock_guard lock(done_mutex);
            ++finished;
          }
          done.notify_one();
        }
      });
    }
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    {
      std::unique_lock lock(done_mutex);
      while (!done.wait_for(lock, std::chrono::milliseconds(200), [&] { return finished == n; })) {
        if (tty) bar.draw(false);
      }
    }
    for (auto& t : workers) t.join();
    if (tty) bar.draw(true);

    if (!opt->reference.empty()) {
      const TrackReport ref = std::move(reports.back());
      reports.pop_back();
      if (ref.error) {
        std::fprintf(stderr, "lacquer analyze: reference %s: %s\n", ref.file.c_str(), ref.error->c_str());
        return 1;
      }
      for (auto& t : reports) {
        if (!t.error) analysis::compare_with_reference(t, ref);
      }
    }
    int failed = 0;
    for (const auto& t : reports) {
      if (t.error) {
        ++failed;
        std::fprintf(stderr, "lacquer analyze: %s: %s\n", t.file.c_str(), t.error->c_str());
      }
    }
    std::optional<analysis::AlbumReport> album;
    if (reports.size() - static_cast<std::size_t>(failed) >= 2) album = analysis::analyse_album(reports);
    const nlohmann::json doc = analysis::to_json(reports, album ? &*album : nullptr);
    if (opt->json) {
      std::printf("%s\n", doc.dump().c_str());
    } else {
      for (const auto& t : reports) print_track(t);
      if (album) print_album(*album);
    }
    if (!opt->html.empty()) {
      std::ofstream out(opt->html, std::ios::binary);
      out << analysis::render_html_report(doc);
      if (!out.flush()) {
        std::fprintf(stderr, "lacquer analyze: cannot write %s\n", opt->html.c_str());
        return 1;
      }
    }
    return failed > 0 ? 1 : 0;
  };
}

const bool registered = register_subcommand(
    "analyze", "Quality control and loudness of sound files, as a table, JSON or an HTML report",
    setup_analyze);

}  // namespace
}  // namespace lacquer::daemon
