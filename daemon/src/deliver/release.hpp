#pragma once
// What `lacquer deliver` delivers: a release's metadata and its tracks in order, with each
// track's source file and chain, from an album.json or a session in the store (the album of
// session/album.hpp, validated there).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/session/album.hpp"

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
  std::string side;  ///< vinyl side "A".."Z" or ""
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

/// The album as the delivery takes it (validated by session/album.hpp); relative files are
/// taken from `base`.
Release release_of(const session::Album& album, const std::filesystem::path& base);

/// Reads an album.json, validated by session::album_from_json; relative files are taken from
/// the album file's folder.
Release read_album_file(const std::filesystem::path& album_file);

/// The album of a session in the database `db` (whether or not a daemon runs on it), each
/// track with its applied snapshot.
Release read_session_album(const std::filesystem::path& db, std::int64_t session_id);

}  // namespace lacquer::daemon::deliver
