#pragma once
// The JSON form of the reports (docs/DESIGN.md, "Offline subcommands"): levels of silence
// (-inf) and unknown values are null.

#include <nlohmann/json.hpp>

#include "lacquer/analysis/report.hpp"

namespace lacquer::analysis {

nlohmann::json to_json(const TrackReport& track);
nlohmann::json to_json(const AlbumReport& album);

/// {"tracks": [...], "album": {...}}; the album only when given.
nlohmann::json to_json(const std::vector<TrackReport>& tracks, const AlbumReport* album);

const char* severity_name(Severity s) noexcept;

}  // namespace lacquer::analysis
