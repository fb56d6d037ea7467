#include "lacquer/dsp/resampler.hpp"

#include <soxr.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace lacquer::dsp {

namespace {

// Split (planar) output is passed to soxr as its array of channel pointers; soxr writes
// through the pointers, never to the array.
soxr_out_t split_out(double* const* out) noexcept { return const_cast<double**>(out); }

}  // namespace

Resampler::Resampler(double in_rate, double out_rate, unsigned channels)
    : in_rate_(in_rate), out_rate_(out_rate) {
  // libsoxr loops for ever on a NaN or infinite rate instead of refusing it.
  if (!(in_rate > 0.0 && std::isfinite(in_rate) && out_rate > 0.0 && std::isfinite(out_rate))) {
    throw std::runtime_error("resampling needs two finite, positive sample rates");
  }
  if (channels == 0) throw std::runtime_error("resampling needs at least one channel");
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT64_S, SOXR_FLOAT64_S);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_VHQ, 0);
  soxr_error_t error = nullptr;
  soxr_ = soxr_create(in_rate, out_rate, channels, &error, &io, &quality, nullptr);
  if (error != nullptr) {
    throw std::runtime_error(std::string("soxr: ") + error);
  }
}

Resampler::~Resampler() { soxr_delete(static_cast<soxr_t>(soxr_)); }

Resampler::Result Resampler::process(const double* const* in, std::size_t in_frames,
                                     double* const* out, std::size_t out_capacity) {
  std::size_t done_in = 0, done_out = 0;
  const soxr_error_t error =
      soxr_process(static_cast<soxr_t>(soxr_), in, in_frames, &done_in, split_out(out),
                   out_capacity, &done_out);
  if (error != nullptr) throw std::runtime_error(std::string("soxr: ") + error);
  return {done_in, done_out};
}

std::size_t Resampler::flush(double* const* out, std::size_t out_capacity) {
  std::size_t done_out = 0;
  const soxr_error_t error = soxr_process(static_cast<soxr_t>(soxr_), nullptr, 0, nullptr,
                                          split_out(out), out_capacity, &done_out);
  if (error != nullptr) throw std::runtime_error(std::string("soxr: ") + error);
  return done_out;
}

std::size_t Resampler::output_frames(std::size_t in_frames) const noexcept {
  return static_cast<std::size_t>(std::llround(static_cast<double>(in_frames) * ratio()));
}

}  // namespace lacquer::dsp
