#pragma once
// Sample-rate conversion for deliverables (offline, not real-time): libsoxr at its very
// high quality setting (SOXR_VHQ: 175 dB stopband, passband flat to 91 % of the lower
// Nyquist, linear phase). soxr removes its own filter delay, so output frame k is the
// input at time k / out_rate: converted files stay aligned with their source.
//
// In a render, resampling comes after the chain and before word-length reduction: run
// the chain with the output stage's bits at 0, resample, then Dither at the new rate.

#include <cstddef>

namespace lacquer::dsp {

class Resampler {
 public:
  /// Throws std::runtime_error when soxr refuses the rates.
  Resampler(double in_rate, double out_rate, unsigned channels = 2);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  struct Result {
    std::size_t consumed;  ///< input frames taken
    std::size_t produced;  ///< output frames written
  };

  /// Converts planar input (`channels` pointers of `in_frames` frames) into planar
  /// output with room for `out_capacity` frames. Input that does not fit is left
  /// unconsumed; call again with the rest.
  Result process(const double* const* in, std::size_t in_frames, double* const* out,
                 std::size_t out_capacity);
  /// After the last input: writes the filter's tail; returns frames written (0 when
  /// drained).
  std::size_t flush(double* const* out, std::size_t out_capacity);

  /// Output frames a whole input of `in_frames` frames turns into.
  std::size_t output_frames(std::size_t in_frames) const noexcept;
  double ratio() const noexcept { return out_rate_ / in_rate_; }

 private:
  void* soxr_ = nullptr;  // soxr_t
  double in_rate_, out_rate_;
};

}  // namespace lacquer::dsp
