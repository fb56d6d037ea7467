// lacquer deliver (--album album.json | --session ID [--db FILE]) --out DIR
//                 [--formats cd,streaming,hires,vinyl] [--loudness track|album] [--target NAME]
//                 [--rate HZ] [--dither NAME] [--vinyl-mono-below HZ] [--jobs N] [--override RULE]...
// Every deliverable of a release, compliance-checked; nothing is left in DIR unless the
// whole delivery succeeded.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "deliver/deliver.hpp"
#include "lacquer/session/store.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {
namespace {

struct DeliverCli {
  std::string album;
  std::int64_t session = 0;
  std::string db;
  std::string out;
  std::vector<std::string> formats{"cd", "streaming", "hires"};
  std::string loudness = "track";
  std::string target = "spotify";
  double rate = 0.0;
  std::string dither;
  double vinyl_mono_below = -1.0;  // < 0: each chain's own setting
  unsigned jobs = 2;
  std::vector<std::string> overrides;
};

std::vector<std::string> rule_names() { return {deliver::kRules.begin(), deliver::kRules.end()}; }

std::function<int()> setup_deliver(CLI::App& app) {
  auto cli = std::make_shared<DeliverCli>();
  auto* album = app.add_option("--album", cli->album, "album.json: the release, its tracks and their chains");
  auto* session = app.add_option("--session", cli->session, "A session of the database: its album");
  album->excludes(session);
  app.add_option("--db", cli->db, "SQLite database file (with --session)")->needs(session);
  app.add_option("--out", cli->out, "Folder to create with every deliverable")->required();
  app.add_option("--formats", cli->formats, "Formats, in order: cd, streaming, hires, vinyl")
      ->delimiter(',')
      ->check(CLI::IsMember({"cd", "streaming", "hires", "vinyl"}))
      ->capture_default_str();
  app.add_option("--loudness", cli->loudness, "Streaming loudness: each track to the target, or one gain for the album")
      ->check(CLI::IsMember({"track", "album"}))
      ->capture_default_str();
  app.add_option("--target", cli->target, "Streaming service: spotify, apple, youtube, tidal, deezer, amazon")
      ->capture_default_str();
  app.add_option("--rate", cli->rate, "Streaming sample rate instead of the source's")
      ->check(CLI::IsMember({44100.0, 48000.0}));
  app.add_option("--dither", cli->dither, "CD dither (default: the first track's chain setting)")
      ->check(CLI::IsMember({"off", "tpdf", "lipshitz", "fweighted", "shibata"}));
  app.add_option("--vinyl-mono-below", cli->vinyl_mono_below,
                 "Vinyl: sum the low end to mono below this frequency, 0 for off (default: each track's chain)")
      ->check(CLI::Range(0.0, 300.0));
  app.add_option("--jobs", cli->jobs, "Tracks rendered at once")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--override", cli->overrides, "Accept a failed compliance rule")->check(CLI::IsMember(rule_names()));

  return [cli]() -> int {
    deliver::DeliverOptions opt;
    opt.out = cli->out;
    opt.formats.clear();
    for (const auto& f : cli->formats) {
      const auto format = *deliver::parse_format(f);
      if (std::find(opt.formats.begin(), opt.formats.end(), format) == opt.formats.end()) opt.formats.push_back(format);
    }
    opt.album_loudness = cli->loudness == "album";
    opt.target = cli->target;
    if (cli->rate > 0.0) opt.rate_hz = cli->rate;
    if (!cli->dither.empty()) opt.dither = dsp::parse_dither_type(cli->dither);
    if (cli->vinyl_mono_below >= 0.0) opt.vinyl_mono_below_hz = cli->vinyl_mono_below;
    opt.jobs = cli->jobs;
    opt.overrides.insert(cli->overrides.begin(), cli->overrides.end());
    opt.progress = ::isatty(STDERR_FILENO) != 0;
    try {
      if (cli->album.empty() && cli->session == 0) throw deliver::DeliverError("--album FILE or --session ID is required");
      const deliver::Release release =
          cli->album.empty()
              ? deliver::read_session_album(session::database_path(cli->db), cli->session)
              : deliver::read_album_file(cli->album);
      const deliver::DeliverResult r = deliver::deliver(release, opt);
      for (const auto& rule : r.rules) {
        if (rule.overridden || rule.warning) {
          std::fprintf(stderr, "lacquer deliver: %s: %s: %s: %s\n", rule.overridden ? "overridden" : "warning",
                       rule.file.c_str(), rule.rule.c_str(), rule.detail.c_str());
        }
      }
      std::fprintf(stderr, "%s: %zu tracks, %zu files, %zu rules checked\n", cli->out.c_str(),
                   release.tracks.size(), r.files.size(), r.rules.size());
      return 0;
    } catch (const deliver::ComplianceFailure& e) {
      for (const auto& rule : e.failed()) {
        std::fprintf(stderr, "lacquer deliver: %s: %s: %s\n", rule.file.c_str(), rule.rule.c_str(), rule.detail.c_str());
      }
      std::fprintf(stderr, "lacquer deliver: %s (--override RULE accepts a rule's failure)\n", e.what());
      return 1;
    } catch (const deliver::DeliverError& e) {
      std::fprintf(stderr, "lacquer deliver: %s\n", e.what());
      return 1;
    }
  };
}

const bool registered = register_subcommand(
    "deliver", "Every deliverable of a release (CD image and CUE, streaming, hi-res), compliance-checked",
    setup_deliver);

}  // namespace
}  // namespace lacquer::daemon
