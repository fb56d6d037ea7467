#pragma once
// What `lacquer deliver` delivers: a release's metadata and its tracks in order, with each
// track's source file and chain. Read from an album.json (docs/DESIGN.md, "The album").

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lacquer::daemon::deliver {

/// An expected failure of a delivery: one line for the user, naming the track and rule.
class DeliverError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ReleaseTrack {
  int position = 0;  ///< 1-based
  std::string title, performer, songwriter;
  std::string isrc;  ///< 12 characters or ""
  std::filesystem::path file;
  std::string file_sha256;  ///< lower-case hex; "" = not checked
  double pregap_s = 0.0;
  double crossfade_s = 0.0;
  nlohmann::json snapshot = nullptr;  ///< chain paths -> values, or null for the defaults
};

struct Release {
  std::string title, artist, label;
  std::optional<int> year;
  std::string catalogue;  ///< EAN-13 / UPC-A digits or ""
  std::vector<ReleaseTrack> tracks;
};

/// "track 2 (Intro)", how errors and reports name a track.
std::string track_name(const ReleaseTrack& track);

/// Reads and validates an album.json; relative files are taken from the album file's folder.
Release read_album_file(const std::filesystem::path& album_file);

}  // namespace lacquer::daemon::deliver
