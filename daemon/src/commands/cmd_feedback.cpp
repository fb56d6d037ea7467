// lacquer feedback [--client NAME | --studio NAME] [--json] [--db FILE]
// What recurs across every session of a client or a source studio: applied EQ per band,
// how often the limiter worked hard, recurring QC events, loudness of the delivered
// masters and open notes. A table for people, --json for programs.
#include <cstdio>
#include <memory>
#include <string>

#include "lacquer/session/note_export.hpp"
#include "lacquer/session/store.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {
namespace {

struct FeedbackCliOptions {
  std::string client;
  std::string studio;
  std::string db;
  bool json = false;
  double limiter_hard_db = 3.0;
};

std::string scope_name(const session::FeedbackScope& scope) {
  if (scope.client) return "client " + *scope.client;
  if (scope.studio) return "studio " + *scope.studio;
  return "all clients";
}

void print_table(const session::FeedbackSummary& f, double hard_db) {
  std::printf("Feedback for %s: %d sessions, %d tracks\n", scope_name(f.scope).c_str(), f.sessions,
              f.tracks);

  std::printf("\nApplied EQ per band\n");
  if (f.eq_bands.empty()) {
    std::printf("  (no stored chains)\n");
  } else {
    std::printf("  %4s %7s %9s %10s %8s %8s %9s\n", "band", "tracks", "mean dB", "spread dB",
                "min dB", "max dB", "freq Hz");
    for (const auto& b : f.eq_bands) {
      const std::string freq =
          b.mean_freq_hz ? std::to_string(static_cast<long>(*b.mean_freq_hz + 0.5)) : "-";
      std::printf("  %4d %7d %+9.2f %10.2f %+8.2f %+8.2f %9s\n", b.band, b.tracks, b.mean_gain_db,
                  b.stddev_gain_db, b.min_gain_db, b.max_gain_db, freq.c_str());
    }
  }

  std::printf("\nLimiter\n");
  if (f.limiter.renders == 0) {
    std::printf("  (no render reports)\n");
  } else {
    std::printf(
        "  worked hard (>= %.1f dB peak gain reduction) on %d of %d final renders (%.0f %%), "
        "mean peak reduction %.2f dB\n",
        hard_db, f.limiter.hard, f.limiter.renders, 100.0 * f.limiter.hard / f.limiter.renders,
        f.limiter.mean_max_gain_reduction_db);
  }

  std::printf("\nQC events in the mixes\n");
  if (f.qc_events.empty()) {
    std::printf("  (none reported)\n");
  } else {
    std::printf("  %-20s %7s %7s %9s\n", "type", "events", "tracks", "sessions");
    for (const auto& e : f.qc_events) {
      std::printf("  %-20s %7d %7d %9d%s\n", e.type.c_str(), e.events, e.tracks, e.sessions,
                  e.sessions > 1 ? "  recurring" : "");
    }
  }

  std::printf("\nThe mixes as received\n");
  if (f.mixes.mixes == 0) {
    std::printf("  (none analysed)\n");
  } else {
    std::printf("  %d mixes, integrated %.1f LUFS and true peak %+.1f dBTP on average, %d over 0 dBTP\n",
                f.mixes.mixes, f.mixes.mean_integrated_lufs, f.mixes.mean_true_peak_dbtp,
                f.mixes.over_full_scale);
  }
  for (const auto& s : f.spectral) {
    char freq[32];
    if (s.freq_hz >= 1000.0) {
      std::snprintf(freq, sizeof freq, "%.3g kHz", s.freq_hz / 1000.0);
    } else {
      std::snprintf(freq, sizeof freq, "%.3g Hz", s.freq_hz);
    }
    std::printf("  the %s %s (%+.1f dB over its neighbours) is on %d of %d records, %d tracks\n",
                freq, s.peak ? "bump" : "dip", s.mean_db, s.sessions, s.sessions_analysed,
                s.tracks);
  }

  std::printf("\nDelivered masters\n");
  const auto& d = f.delivered;
  if (d.masters == 0) {
    std::printf("  (none reported)\n");
  } else {
    std::printf("  %d masters, integrated %.1f LUFS mean, spread %.1f LU, %.1f to %.1f LUFS",
                d.masters, d.mean_integrated_lufs, d.stddev_integrated_lufs, d.min_integrated_lufs,
                d.max_integrated_lufs);
    if (d.max_true_peak_dbtp) std::printf(", true peak up to %.1f dBTP", *d.max_true_peak_dbtp);
    std::printf("\n");
  }

  std::printf("\nOpen notes (%zu)\n", f.open_notes.size());
  const auto where = [](const session::OpenNote& o) {
    std::string at = o.session_title;
    if (!o.track_title.empty()) at += " / " + o.track_title;
    return at + " @ " + session::format_track_time(o.note.time_s);
  };
  for (const auto& o : f.open_notes) {
    const std::string times =
        o.repeats.empty() ? "" : " (x" + std::to_string(o.repeats.size() + 1) + ")";
    std::printf("  %s  %s: %s%s\n", where(o).c_str(), o.note.author.c_str(), o.note.text.c_str(),
                times.c_str());
    for (const auto& r : o.repeats) {
      std::printf("    again %s  %s\n", where(r).c_str(), r.note.author.c_str());
    }
  }
}

std::function<int()> setup_feedback(CLI::App& app) {
  auto opt = std::make_shared<FeedbackCliOptions>();
  auto* client = app.add_option("--client", opt->client, "Only the sessions of this client");
  app.add_option("--studio", opt->studio, "Only the sessions mixed at this studio")
      ->excludes(client);
  app.add_flag("--json", opt->json, "Print one JSON object");
  app.add_option("--limiter-hard-db", opt->limiter_hard_db,
                 "Peak gain reduction (dB) from which the limiter counts as working hard")
      ->capture_default_str();
  app.add_option("--db", opt->db,
                 "Database (default: $LACQUER_DB, $XDG_STATE_HOME/lacquer/lacquer.db or "
                 "~/.local/state/lacquer/lacquer.db)");
  return [opt]() -> int {
    const auto db = session::database_path(opt->db);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(db, ec)) {
      std::fprintf(stderr, "lacquer feedback: no database at %s (see --db)\n", db.c_str());
      return 1;
    }
    // Read-only: a report never changes the file, and works beside a running daemon.
    const auto store = session::Store::open(db, {.read_only = true});
    session::FeedbackScope scope;
    if (!opt->client.empty()) scope.client = opt->client;
    if (!opt->studio.empty()) scope.studio = opt->studio;
    const auto f = store->feedback(scope, {.limiter_hard_db = opt->limiter_hard_db});
    if (!f) {
      std::fprintf(stderr, "lacquer feedback: %s\n", f.error().message.c_str());
      return 1;
    }
    if (opt->json) {
      std::printf("%s\n", session::to_json(*f).dump(2).c_str());
    } else {
      print_table(*f, opt->limiter_hard_db);
    }
    return 0;
  };
}

const bool registered = register_subcommand(
    "feedback", "Patterns across a client's or a studio's sessions, as a table or JSON",
    setup_feedback);

}  // namespace
}  // namespace lacquer::daemon
