#include "release.hpp"

#include <fstream>

#include "lacquer/session/album.hpp"
#include "lacquer/session/result.hpp"
#include "lacquer/session/store.hpp"

namespace lacquer::daemon::deliver {

namespace fs = std::filesystem;

Release release_of(const session::Album& album, const fs::path& base) {
  Release r{album.title, album.artist, album.label, album.year, album.catalogue, {}};
  for (const auto& t : album.tracks) {
    const fs::path file(t.file);
    r.tracks.push_back({t.position, t.title, t.performer, t.songwriter, t.isrc,
                        file.is_absolute() ? file : base / file, t.file_sha256, t.pregap_s, t.crossfade_s,
                        t.side, t.snapshot});
  }
  return r;
}

std::string track_name(const ReleaseTrack& track) {
  std::string s = "track " + std::to_string(track.position);
  if (!track.title.empty()) s += " (" + track.title + ")";
  return s;
}

Release read_album_file(const fs::path& album_file) {
  std::ifstream in(album_file);
  if (!in) throw DeliverError("cannot read " + album_file.string());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw DeliverError(album_file.string() + " is not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  auto album = session::album_from_json(j);
  if (!album) throw DeliverError(album_file.string() + ": " + album.error().message);
  return release_of(*album, album_file.has_parent_path() ? album_file.parent_path() : fs::path("."));
}

Release read_session_album(const fs::path& db, std::int64_t session_id) {
  std::error_code ec;
  if (!fs::is_regular_file(db, ec)) throw DeliverError("no database at " + db.string());
  std::unique_ptr<session::Store> store;
  try {
    store = session::Store::open(db);
  } catch (const session::OpenError& e) {
    throw DeliverError(e.what());
  }
  auto album = session::album_from_store(*store, session_id);
  if (!album) throw DeliverError("session " + std::to_string(session_id) + ": " + album.error().message);
  return release_of(*album, fs::path());
}

}  // namespace lacquer::daemon::deliver
