// lacquer render IN OUT [--chain FILE] [--set PATH=VALUE]... [--target NAME] [--bits 16|24|32f]
//                       [--rate HZ] [--tag NAME=VALUE]...
// The chain offline. Errors are one line on stderr and a non-zero exit; no output file is
// left behind by a failed render.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "lacquer/dsp/targets.hpp"
#include "offline/offline_render.hpp"
#include "subcommand.hpp"

namespace lacquer::daemon {
namespace {

std::string target_names() {
  std::string s;
  for (const auto& t : dsp::kTargets) s += (s.empty() ? "" : ", ") + std::string(t.name);
  return s;
}

std::function<int()> setup_render(CLI::App& app) {
  auto req = std::make_shared<RenderRequest>();
  auto chain = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  auto bits = std::make_shared<std::string>();
  auto rate = std::make_shared<double>(0.0);
  auto tags = std::make_shared<std::vector<std::string>>();
  app.add_option("IN", req->input, "Input sound file (WAV, FLAC, AIFF, ...)")->required();
  app.add_option("OUT", req->output, "Output file; .wav or .flac")->required();
  app.add_option("--chain", *chain, "Chain file: a JSON object of parameter path -> value");
  app.add_option("--set", req->settings, "PATH=VALUE, applied after the chain file");
  app.add_option("--target", *target, "Delivery target: " + target_names());
  app.add_option("--bits", *bits, "Output word length: 16, 24 or 32f")
      ->check(CLI::IsMember({"16", "24", "32f"}));
  app.add_option("--rate", *rate, "Output sample rate in Hz (libsoxr, very high quality)");
  app.add_option("--tag", *tags, "NAME=VALUE, a Vorbis comment of a FLAC output (repeatable)");

  return [req, chain, target, bits, rate, tags]() -> int {
    for (const std::string& tag : *tags) {
      const auto eq = tag.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::fprintf(stderr, "lacquer render: --tag %s: expected NAME=VALUE\n", tag.c_str());
        return 1;
      }
      req->tags.emplace_back(tag.substr(0, eq), tag.substr(eq + 1));
    }
    if (!chain->empty()) req->chain_file = *chain;
    if (!target->empty()) req->target = *target;
    if (!bits->empty()) req->bits = *bits;
    if (*rate != 0.0) req->rate_hz = *rate;
    req->progress = ::isatty(STDERR_FILENO) != 0;
    try {
      const RenderResult r = render(*req);
      for (const auto& w : r.input_warnings) std::fprintf(stderr, "lacquer render: warning: %s\n", w.c_str());
      for (const auto& c : r.clamped_settings) std::fprintf(stderr, "lacquer render: %s\n", c.c_str());
      const std::string passes =
          r.passes > 1 ? " (" + std::to_string(r.passes) + " passes)" : std::string();
      std::fprintf(stderr, "%s: %.1f s at %g Hz, %.1f LUFS integrated, %.2f dBTP true peak%s\n",
                   req->output.c_str(), static_cast<double>(r.frames_out) / r.sample_rate_hz,
                   r.sample_rate_hz, r.integrated_lufs, r.true_peak_dbtp, passes.c_str());
      return 0;
    } catch (const RenderError& e) {
      std::fprintf(stderr, "lacquer render: %s\n", e.what());
      return 1;
    }
  };
}

const bool registered =
    register_subcommand("render", "Run the chain offline on a file (deliverables, null tests)",
                        setup_render);

}  // namespace
}  // namespace lacquer::daemon
