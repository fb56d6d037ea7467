#include "tags.hpp"

#include <FLAC/metadata.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <memory>

#include "release.hpp"
#include "sound_io.hpp"

namespace lacquer::daemon::deliver {

namespace fs = std::filesystem;

namespace {

struct ChainCloser {
  void operator()(FLAC__Metadata_Chain* c) const noexcept { FLAC__metadata_chain_delete(c); }
};
struct IteratorCloser {
  void operator()(FLAC__Metadata_Iterator* i) const noexcept { FLAC__metadata_iterator_delete(i); }
};

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

void write_flac_tags(const fs::path& flac, const Tags& tags) {
  std::unique_ptr<FLAC__Metadata_Chain, ChainCloser> chain(FLAC__metadata_chain_new());
  std::unique_ptr<FLAC__Metadata_Iterator, IteratorCloser> it(FLAC__metadata_iterator_new());
  if (!chain || !it) throw std::bad_alloc();
  if (!FLAC__metadata_chain_read(chain.get(), flac.c_str())) {
    throw DeliverError("cannot read the metadata of " + shown(flac) + ": " +
                       FLAC__Metadata_ChainStatusString[FLAC__metadata_chain_status(chain.get())]);
  }
  FLAC__metadata_iterator_init(it.get(), chain.get());
  FLAC__StreamMetadata* comments = nullptr;
  do {
    if (FLAC__metadata_iterator_get_block_type(it.get()) == FLAC__METADATA_TYPE_VORBIS_COMMENT) {
      comments = FLAC__metadata_iterator_get_block(it.get());
      break;
    }
  } while (FLAC__metadata_iterator_next(it.get()));
  if (comments == nullptr) {
    comments = FLAC__metadata_object_new(FLAC__METADATA_TYPE_VORBIS_COMMENT);
    if (comments == nullptr || !FLAC__metadata_iterator_insert_block_after(it.get(), comments)) {
      throw DeliverError("cannot add tags to " + shown(flac));
    }
  }
  for (const auto& [name, value] : tags) {
    if (value.empty()) continue;
    FLAC__StreamMetadata_VorbisComment_Entry entry;
    if (!FLAC__metadata_object_vorbiscomment_entry_from_name_value_pair(&entry, name.c_str(), value.c_str()) ||
        !FLAC__metadata_object_vorbiscomment_replace_comment(comments, entry, /*all=*/true, /*copy=*/false)) {
      throw DeliverError("cannot set the tag " + name + " of " + shown(flac));
    }
  }
  FLAC__metadata_chain_sort_padding(chain.get());
  if (!FLAC__metadata_chain_write(chain.get(), /*use_padding=*/true, /*preserve_file_stats=*/false)) {
    throw DeliverError("cannot write the tags of " + shown(flac) + ": " +
                       FLAC__Metadata_ChainStatusString[FLAC__metadata_chain_status(chain.get())]);
  }
}

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
