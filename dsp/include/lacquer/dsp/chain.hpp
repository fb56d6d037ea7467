#pragma once
// The mastering chain (print path) and the monitor path for one sample rate. Constructed
// off the audio thread (it allocates); process() never allocates, locks or blocks.

#include <cstdint>
#include <vector>

#include "lacquer/dsp/param_store.hpp"
#include "lacquer/dsp/smoother.hpp"

namespace lacquer::dsp {

/// What the meters read at the end of a block; copied out of the audio thread whole.
struct MeterSnapshot {
  double sample_peak_in_dbfs[2] = {-INFINITY, -INFINITY};
  double sample_peak_out_dbfs[2] = {-INFINITY, -INFINITY};
  std::uint64_t frames = 0;  ///< frames processed by this chain so far
};

class Chain {
 public:
  /// Largest block processed in one pass; longer blocks are split.
  static constexpr std::uint32_t kMaxBlock = 256;

  /// Prepares every stage at `sample_rate`, starting at the store's current values.
  Chain(const ParamStore& params, double sample_rate);

  /// Audio thread. `in`, `out` (print) and `mon` (monitors) are two channels each, any
  /// nframes; `in` may alias `out`.
  void process(const float* const in[2], float* const out[2], float* const mon[2],
               std::uint32_t nframes) noexcept;

  /// Total latency of the print path in frames (the monitor path adds none on top).
  std::uint32_t latency_frames() const noexcept { return 0; }
  double sample_rate() const noexcept { return sample_rate_; }
  const MeterSnapshot& meters() const noexcept { return meters_; }

 private:
  void read_params() noexcept;
  void process_block(const float* const in[2], float* const out[2], float* const mon[2],
                     std::uint32_t offset, std::uint32_t n) noexcept;

  const ParamStore& params_;
  double sample_rate_;
  std::uint64_t seen_version_ = ~std::uint64_t{0};  // store version last read
  ParamId output_gain_id_;
  LinearSmoother output_gain_;  // linear gain of the output stage
  MeterSnapshot meters_;
};

}  // namespace lacquer::dsp
