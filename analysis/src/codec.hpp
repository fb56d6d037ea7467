#pragma once
// Codec headroom: a lossy round trip of the signal, measured as a streaming service's
// listener would hear it decoded.

#include <atomic>
#include <functional>

#include "lacquer/analysis/report.hpp"
#include "signal_pass.hpp"

namespace lacquer::analysis::detail {

/// Encodes and decodes `signal` (mono or stereo) with libopus at `bitrate_kbps` (resampled
/// to 48 kHz first when needed) and measures the decoded true peak and overs. `progress`
/// gets the fraction done; returns early (result unused) once *cancel is true.
CodecResult opus_round_trip(const PaddedSignal& signal, int bitrate_kbps,
                            const std::function<void(double)>& progress,
                            const std::atomic<bool>* cancel);

}  // namespace lacquer::analysis::detail
