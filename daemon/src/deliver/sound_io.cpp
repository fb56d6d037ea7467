#include "sound_io.hpp"

#include <array>
#include <fstream>
#include <vector>

#include "release.hpp"

namespace lacquer::daemon::deliver {

namespace fs = std::filesystem;

std::string shown(const fs::path& path) {
  return (path.parent_path().filename() / path.filename()).string();
}

SoundFile SoundFile::open(const fs::path& path) {
  SoundFile f;
  f.path_ = path;
  f.file_.reset(sf_open(path.c_str(), SFM_READ, &f.info_));
  if (!f.file_) throw DeliverError("cannot read " + path.string() + ": " + sf_strerror(nullptr));
  return f;
}

SoundFile SoundFile::create(const fs::path& path, int rate, int format, const SF_BROADCAST_INFO* bext) {
  SoundFile f;
  f.path_ = path;
  f.info_.samplerate = rate;
  f.info_.channels = 2;
  f.info_.format = format;
  f.file_.reset(sf_open(path.c_str(), SFM_WRITE, &f.info_));
  if (!f.file_) throw DeliverError("cannot write " + shown(path) + ": " + sf_strerror(nullptr));
  if (bext != nullptr &&
      sf_command(f.file_.get(), SFC_SET_BROADCAST_INFO, const_cast<SF_BROADCAST_INFO*>(bext),
                 sizeof *bext) != SF_TRUE) {
    throw DeliverError("cannot write the bext chunk of " + shown(path));
  }
  return f;
}

void SoundFile::read(float* interleaved, std::int64_t frames) {
  if (sf_readf_float(file_.get(), interleaved, frames) != frames) {
    throw DeliverError(shown(path_) + " ends early");
  }
}

std::int64_t SoundFile::read_some(int* interleaved, std::int64_t frames) {
  return sf_readf_int(file_.get(), interleaved, frames);
}

void SoundFile::check_written(sf_count_t written, std::int64_t frames) {
  if (written != frames) {
    throw DeliverError("cannot write " + shown(path_) + ": " + sf_strerror(file_.get()));
  }
}

void SoundFile::write(const short* interleaved, std::int64_t frames) {
  check_written(sf_writef_short(file_.get(), interleaved, frames), frames);
}

void SoundFile::write(const int* interleaved, std::int64_t frames) {
  check_written(sf_writef_int(file_.get(), interleaved, frames), frames);
}

void SoundFile::close() {
  if (!file_) return;
  // The header is finished here so that a full disk shows as an error of the file. (Not
  // sf_write_sync: it also fsyncs, and the delivery makes its files durable once, at the end.)
  sf_command(file_.get(), SFC_UPDATE_HEADER_NOW, nullptr, 0);
  const int error = sf_error(file_.get());
  const std::string message = sf_strerror(file_.get());
  if (sf_close(file_.release()) != 0 || error != SF_ERR_NO_ERROR) {
    throw DeliverError("cannot write " + shown(path_) + ": " + message);
  }
}

int word_length(const SF_INFO& info) {
  switch (info.format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8: return 8;
    case SF_FORMAT_PCM_16: return 16;
    case SF_FORMAT_PCM_24: return 24;
    case SF_FORMAT_PCM_32: return 32;
    default: return 0;
  }
}

int wav_format_tag(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 12> head{};
  if (!in.read(reinterpret_cast<char*>(head.data()), head.size()) ||
      std::string(head.begin(), head.begin() + 4) != "RIFF" || std::string(head.begin() + 8, head.end()) != "WAVE") {
    return -1;
  }
  // Chunks: 4-byte id, little-endian 32-bit size, data padded to an even length.
  std::array<unsigned char, 8> chunk{};
  while (in.read(reinterpret_cast<char*>(chunk.data()), chunk.size())) {
    const std::uint32_t size = chunk[4] | chunk[5] << 8 | chunk[6] << 16 | static_cast<std::uint32_t>(chunk[7]) << 24;
    if (std::string(chunk.begin(), chunk.begin() + 4) == "fmt ") {
      std::array<unsigned char, 2> tag{};
      if (!in.read(reinterpret_cast<char*>(tag.data()), tag.size())) return -1;
      return tag[0] | tag[1] << 8;
    }
    in.seekg(size + (size & 1u), std::ios::cur);
  }
  return -1;
}

void copy_frames(SoundFile& from, SoundFile& to) {
  constexpr std::int64_t kBlock = 8192;
  std::vector<int> buf(static_cast<std::size_t>(kBlock) * 2);
  while (const std::int64_t got = from.read_some(buf.data(), kBlock)) to.write(buf.data(), got);
}

void write_flac(SoundFile& from, const fs::path& flac, const VorbisComments& tags) {
  constexpr std::int64_t kBlock = 8192;
  const int channels = from.info().channels;
  std::vector<std::int32_t> buf(static_cast<std::size_t>(kBlock * channels));
  try {
    FlacWriter to(flac, from.info().samplerate, channels, word_length(from.info()), tags);
    while (const std::int64_t got = from.read_some(buf.data(), kBlock)) to.write(buf.data(), static_cast<std::size_t>(got));
    to.close();
  } catch (const std::runtime_error& e) {
    throw DeliverError("cannot write " + shown(flac) + ": " + e.what());
  }
}

}  // namespace lacquer::daemon::deliver
