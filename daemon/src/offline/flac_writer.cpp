#include "offline/flac_writer.hpp"

#include <FLAC/metadata.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>

namespace lacquer::daemon {

namespace {
constexpr unsigned kPaddingBytes = 8192;  // the flac tool's default
constexpr unsigned kCompressionLevel = 5;
constexpr std::size_t kChunkFrames = 4096;

/// Why the encoder stopped: the system's reason for a failed write, else libFLAC's state.
std::string reason(const FLAC__StreamEncoder* encoder, int error) {
  const FLAC__StreamEncoderState state = FLAC__stream_encoder_get_state(encoder);
  const bool io =
      state == FLAC__STREAM_ENCODER_CLIENT_ERROR || state == FLAC__STREAM_ENCODER_IO_ERROR;
  return io && error != 0 ? std::strerror(error) : FLAC__StreamEncoderStateString[state];
}
}  // namespace

void FlacWriter::BlockFree::operator()(FLAC__StreamMetadata* b) const noexcept {
  FLAC__metadata_object_delete(b);
}

void FlacWriter::EncoderFree::operator()(FLAC__StreamEncoder* e) const noexcept {
  FLAC__stream_encoder_delete(e);
}

FlacWriter::FlacWriter(const std::filesystem::path& path, int sample_rate, int channels, int bits,
                       const VorbisComments& comments)
    : channels_(channels),
      shift_(32 - bits),
      comments_(FLAC__metadata_object_new(FLAC__METADATA_TYPE_VORBIS_COMMENT)),
      padding_(FLAC__metadata_object_new(FLAC__METADATA_TYPE_PADDING)),
      encoder_(FLAC__stream_encoder_new()),
      right_justified_(kChunkFrames * static_cast<std::size_t>(channels)) {
  if (!comments_ || !padding_ || !encoder_) throw std::bad_alloc();
  padding_->length = kPaddingBytes;
  for (const auto& [name, value] : comments) {
    if (value.empty()) continue;
    FLAC__StreamMetadata_VorbisComment_Entry entry;
    if (!FLAC__metadata_object_vorbiscomment_entry_from_name_value_pair(&entry, name.c_str(),
                                                                        value.c_str()) ||
        !FLAC__metadata_object_vorbiscomment_append_comment(comments_.get(), entry,
                                                            /*copy=*/false)) {
      throw std::runtime_error("the tag " + name + " is not a valid Vorbis comment");
    }
  }
  FLAC__StreamMetadata* blocks[2] = {comments_.get(), padding_.get()};
  FLAC__StreamEncoder* e = encoder_.get();
  const bool set = FLAC__stream_encoder_set_channels(e, static_cast<unsigned>(channels)) &&
                   FLAC__stream_encoder_set_bits_per_sample(e, static_cast<unsigned>(bits)) &&
                   FLAC__stream_encoder_set_sample_rate(e, static_cast<unsigned>(sample_rate)) &&
                   FLAC__stream_encoder_set_compression_level(e, kCompressionLevel) &&
                   FLAC__stream_encoder_set_metadata(e, blocks, 2);
  if (!set) throw std::runtime_error("the encoder refused the format");
  errno = 0;
  const FLAC__StreamEncoderInitStatus status =
      FLAC__stream_encoder_init_file(e, path.c_str(), nullptr, nullptr);
  if (status == FLAC__STREAM_ENCODER_INIT_STATUS_ENCODER_ERROR) {
    throw std::runtime_error(reason(e, errno));
  }
  if (status != FLAC__STREAM_ENCODER_INIT_STATUS_OK) {
    throw std::runtime_error(FLAC__StreamEncoderInitStatusString[status]);
  }
}

void FlacWriter::write(const std::int32_t* interleaved, std::size_t frames) {
  const auto per_frame = static_cast<std::size_t>(channels_);
  for (std::size_t done = 0; done < frames;) {
    const std::size_t n = std::min(kChunkFrames, frames - done);
    const std::int32_t* from = interleaved + done * per_frame;
    for (std::size_t i = 0; i < n * per_frame; ++i) right_justified_[i] = from[i] >> shift_;
    errno = 0;
    if (!FLAC__stream_encoder_process_interleaved(encoder_.get(), right_justified_.data(),
                                                  static_cast<unsigned>(n))) {
      throw std::runtime_error(reason(encoder_.get(), errno));
    }
    done += n;
  }
}

void FlacWriter::close() {
  errno = 0;
  if (!FLAC__stream_encoder_finish(encoder_.get())) {
    throw std::runtime_error(reason(encoder_.get(), errno));
  }
}

}  // namespace lacquer::daemon
