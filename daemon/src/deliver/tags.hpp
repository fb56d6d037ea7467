#pragma once
// Metadata in the delivered files: Vorbis comments in FLAC (written with the audio by
// FlacWriter, read back here by libFLAC's metadata interface) and the Broadcast Wave bext
// chunk in WAV.
//
// bext (EBU Tech 3285) has no ISRC field: the ISRC goes on the Description's first line as
// "ISRC:CCXXXYYNNNNN", the identifier-as-"KEY:value" form the EBU describes for BWF
// identifiers. The RIFF INFO chunk's "ISRC" field is not used: there it means the source of
// the material, not the recording code.

#include <sndfile.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "offline/flac_writer.hpp"

namespace lacquer::daemon::deliver {

using Tags = VorbisComments;

/// Every Vorbis comment of a FLAC file as NAME=value; empty when it has none.
Tags read_flac_tags(const std::filesystem::path& flac);

/// The value of `name` (case-insensitive) in `tags`, or "".
std::string tag_value(const Tags& tags, const std::string& name);

/// What goes in a bext chunk (EBU Tech 3285 version 2).
struct BextFields {
  std::string isrc, title, artist, originator;
  double integrated_lufs = 0.0, true_peak_dbtp = 0.0;
  int rate = 0, bits = 0;
};

SF_BROADCAST_INFO bext_chunk(const BextFields& fields);

/// The ISRC in a WAV file's bext Description, or "" (no chunk, or no ISRC line).
std::string read_bext_isrc(const std::filesystem::path& wav);

}  // namespace lacquer::daemon::deliver
