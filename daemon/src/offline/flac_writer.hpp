#pragma once
// A FLAC file written by libFLAC's encoder at the flac tool's default level (5), with its
// Vorbis comments and 8 KiB of padding placed before the audio: tags never cost a rewrite of
// the file, and a tagger can change them later in place.

#include <FLAC/format.h>
#include <FLAC/stream_encoder.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lacquer::daemon {

/// NAME=value Vorbis comments, in order; empty values are left out.
using VorbisComments = std::vector<std::pair<std::string, std::string>>;

class FlacWriter {
 public:
  /// Creates the file. Every error here and below is a std::runtime_error whose message is
  /// the reason ("FLAC__STREAM_ENCODER_IO_ERROR"), for the caller to name the file.
  FlacWriter(const std::filesystem::path& path, int sample_rate, int channels, int bits,
             const VorbisComments& comments);
  FlacWriter(const FlacWriter&) = delete;
  FlacWriter& operator=(const FlacWriter&) = delete;

  /// Interleaved frames with each word in the top bits of an int32 (as libsndfile takes
  /// integer PCM of any word length).
  void write(const std::int32_t* interleaved, std::size_t frames);
  /// Finishes the stream: its STREAMINFO with the length and MD5 written back.
  void close();

 private:
  struct BlockFree {
    void operator()(FLAC__StreamMetadata* b) const noexcept;
  };
  struct EncoderFree {
    void operator()(FLAC__StreamEncoder* e) const noexcept;  // finishes an unclosed stream
  };

  int channels_;
  int shift_;
  std::unique_ptr<FLAC__StreamMetadata, BlockFree> comments_;
  std::unique_ptr<FLAC__StreamMetadata, BlockFree> padding_;
  std::unique_ptr<FLAC__StreamEncoder, EncoderFree> encoder_;  // after the blocks it reads
  std::vector<std::int32_t> right_justified_;
};

}  // namespace lacquer::daemon
