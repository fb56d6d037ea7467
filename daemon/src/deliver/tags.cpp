#include "tags.hpp"

#include <FLAC/metadata.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>

#include "release.hpp"
#include "sound_io.hpp"

namespace lacquer::daemon::deliver {

namespace fs = std::filesystem;

namespace {

// Into a zeroed field: a shorter text ends with NUL, a full field needs none.
void copy_text(char* field, std::size_t size, const std::string& text) {
  std::memcpy(field, text.data(), std::min(size, text.size()));
}

// Loudness fields of bext v2 are hundredths; 0x7fff marks one not given.
std::int16_t hundredths(double v) {
  if (!std::isfinite(v)) return 0x7fff;
  return static_cast<std::int16_t>(std::clamp(std::lround(v * 100.0), -32767L, 32766L));
}

}  // namespace

Tags read_flac_tags(const fs::path& flac) {
  Tags tags;
  FLAC__StreamMetadata* block = nullptr;
  if (!FLAC__metadata_get_tags(flac.c_str(), &block)) return tags;
  const auto& vc = block->data.vorbis_comment;
  for (FLAC__uint32 i = 0; i < vc.num_comments; ++i) {
    const std::string entry(reinterpret_cast<const char*>(vc.comments[i].entry), vc.comments[i].length);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) tags.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  FLAC__metadata_object_delete(block);
  return tags;
}

std::string tag_value(const Tags& tags, const std::string& name) {
  for (const auto& [n, v] : tags) {
    if (std::equal(n.begin(), n.end(), name.begin(), name.end(),
                   [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) ==
                                               std::toupper(static_cast<unsigned char>(b)); })) {
      return v;
    }
  }
  return "";
}

SF_BROADCAST_INFO bext_chunk(const BextFields& f) {
  SF_BROADCAST_INFO b{};
  std::string description;
  if (!f.isrc.empty()) description += "ISRC:" + f.isrc + "\r\n";
  description += f.artist + (f.artist.empty() || f.title.empty() ? "" : " - ") + f.title;
  copy_text(b.description, sizeof b.description, description);
  copy_text(b.originator, sizeof b.originator, f.originator);
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[16], time[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &utc);
  std::strftime(time, sizeof time, "%H:%M:%S", &utc);
  std::memcpy(b.origination_date, date, sizeof b.origination_date);
  std::memcpy(b.origination_time, time, sizeof b.origination_time);
  b.version = 2;
  b.loudness_value = hundredths(f.integrated_lufs);
  b.loudness_range = 0x7fff;
  b.max_true_peak_level = hundredths(f.true_peak_dbtp);
  b.max_momentary_loudness = 0x7fff;
  b.max_shortterm_loudness = 0x7fff;
  // EBU R 98 coding history: the one process that made this file.
  const std::string history = "A=PCM,F=" + std::to_string(f.rate) + ",W=" + std::to_string(f.bits) +
                              ",M=stereo,T=lacquer deliver\r\n";
  copy_text(b.coding_history, sizeof b.coding_history, history);
  b.coding_history_size = static_cast<std::uint32_t>(history.size());
  return b;
}

std::string read_bext_isrc(const fs::path& wav) {
  SF_INFO info{};
  SNDFILE* f = sf_open(wav.c_str(), SFM_READ, &info);
  if (f == nullptr) return "";
  SF_BROADCAST_INFO b{};
  const bool has = sf_command(f, SFC_GET_BROADCAST_INFO, &b, sizeof b) == SF_TRUE;
  sf_close(f);
  if (!has) return "";
  const std::string description(b.description, strnlen(b.description, sizeof b.description));
  const auto at = description.find("ISRC:");
  if (at == std::string::npos) return "";
  const auto end = description.find_first_of("\r\n", at);
  return description.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

}  // namespace lacquer::daemon::deliver
