#pragma once
// The `lacquer analyze --html` report: one self-contained page (inline CSS and SVG, no
// scripts, nothing fetched) from the analysis JSON of docs/DESIGN.md ("Offline subcommands").

#include <string>

#include <nlohmann/json.hpp>

namespace lacquer::analysis {

/// The HTML page for `analysis` (`{"tracks": […], "album": {…}}`). Every string taken from
/// the JSON is escaped; missing optional fields leave their section out, null levels
/// (silence, -inf) read "−∞", and tracks with "error" show the error. Curves are reduced to
/// at most about 2000 points per plot, so the page stays small for long files.
std::string render_html_report(const nlohmann::json& analysis);

}  // namespace lacquer::analysis
