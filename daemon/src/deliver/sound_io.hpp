#pragma once
// Stereo sound files for the delivery, with errors that name the file as the delivery
// shows it ("cd/album.wav"), and its word length and WAV format tag read back.

#include <sndfile.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "offline/flac_writer.hpp"

namespace lacquer::daemon::deliver {

/// "cd/album.wav": the file's folder and name, as a delivery's messages show it.
std::string shown(const std::filesystem::path& path);

class SoundFile {
 public:
  SoundFile() = default;
  /// Opens for reading; throws DeliverError.
  static SoundFile open(const std::filesystem::path& path);
  /// Creates a stereo file of `format` (SF_FORMAT_*), with a bext chunk when given.
  static SoundFile create(const std::filesystem::path& path, int rate, int format,
                          const SF_BROADCAST_INFO* bext = nullptr);

  explicit operator bool() const { return file_ != nullptr; }
  const SF_INFO& info() const { return info_; }
  SNDFILE* get() const { return file_.get(); }

  /// Reads exactly `frames` interleaved frames; throws when the file ends before.
  void read(float* interleaved, std::int64_t frames);
  /// Reads up to `frames`; returns how many.
  std::int64_t read_some(int* interleaved, std::int64_t frames);
  void write(const short* interleaved, std::int64_t frames);
  void write(const int* interleaved, std::int64_t frames);
  /// Closes, finishing the header.
  void close();

 private:
  struct Closer {
    void operator()(SNDFILE* f) const noexcept { sf_close(f); }
  };
  void check_written(sf_count_t written, std::int64_t frames);

  std::unique_ptr<SNDFILE, Closer> file_;
  SF_INFO info_{};
  std::filesystem::path path_;
};

/// Bits per sample of an integer PCM file (8, 16, 24, 32), 0 for float or anything else.
int word_length(const SF_INFO& info);

/// The format tag of a WAV file's fmt chunk (1 = WAVE_FORMAT_PCM, 0xFFFE = extensible),
/// read from the bytes; -1 when the file is not a RIFF WAVE with a fmt chunk.
int wav_format_tag(const std::filesystem::path& path);

/// Copies every frame of `from` into `to` as integers (bit-exact between integer formats).
void copy_frames(SoundFile& from, SoundFile& to);

/// Encodes every frame of `from` (integer PCM) into a FLAC file of its word length, with
/// `tags`; throws DeliverError.
void write_flac(SoundFile& from, const std::filesystem::path& flac, const VorbisComments& tags);

}  // namespace lacquer::daemon::deliver
