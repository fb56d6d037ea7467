#pragma once
// Codec headroom: a lossy round trip of the signal, measured as a streaming service's
// listener would hear it decoded.

#include <cstddef>
#include <functional>

#include "lacquer/analysis/report.hpp"

namespace lacquer::analysis::detail {

/// Encodes and decodes what `read` delivers (interleaved, mono or stereo) with libopus at
/// `bitrate_kbps` (resampled to 48 kHz first when needed) and measures the decoded true peak
/// and overs. `keep_going` is told the frames read so far; the round trip ends early (its
/// result unused) when it returns false.
CodecResult opus_round_trip(const std::function<std::size_t(float*, std::size_t)>& read, int channels,
                            double sample_rate, int bitrate_kbps,
                            const std::function<bool(std::size_t)>& keep_going);

}  // namespace lacquer::analysis::detail
