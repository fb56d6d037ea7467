#include "lacquer/dsp/chain.hpp"

#include <algorithm>
#include <cmath>

namespace lacquer::dsp {

Chain::Chain(const ParamStore& params, double sample_rate)
    : params_(params),
      sample_rate_(sample_rate),
      output_gain_id_(params.schema().id("/chain/output/gain")) {
  output_gain_.prepare(sample_rate, params.schema().spec(output_gain_id_).smoothing_ms);
  output_gain_.reset(db_to_gain(params.get(output_gain_id_)));
  seen_version_ = params.version();
}

void Chain::read_params() noexcept {
  const std::uint64_t version = params_.version();
  if (version == seen_version_) return;
  seen_version_ = version;
  output_gain_.set_target(db_to_gain(params_.get(output_gain_id_)));
}

void Chain::process(const float* const in[2], float* const out[2], float* const mon[2],
                    std::uint32_t nframes) noexcept {
  read_params();
  for (std::uint32_t offset = 0; offset < nframes; offset += kMaxBlock) {
    process_block(in, out, mon, offset, std::min(kMaxBlock, nframes - offset));
  }
  meters_.frames += nframes;
}

void Chain::process_block(const float* const in[2], float* const out[2], float* const mon[2],
                          std::uint32_t offset, std::uint32_t n) noexcept {
  double peak_in[2] = {0.0, 0.0};
  double peak_out[2] = {0.0, 0.0};
  for (std::uint32_t i = offset; i < offset + n; ++i) {
    const double g = output_gain_.next();
    for (int c = 0; c < 2; ++c) {
      const double x = in[c][i];
      const double y = x * g;
      peak_in[c] = std::max(peak_in[c], std::abs(x));
      peak_out[c] = std::max(peak_out[c], std::abs(y));
      out[c][i] = static_cast<float>(y);
      mon[c][i] = static_cast<float>(y);
    }
  }
  for (int c = 0; c < 2; ++c) {
    meters_.sample_peak_in_dbfs[c] = gain_to_db(peak_in[c]);
    meters_.sample_peak_out_dbfs[c] = gain_to_db(peak_out[c]);
  }
}

}  // namespace lacquer::dsp
