#include "codec.hpp"

#include <opus.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "lacquer/analysis/true_peak.hpp"
#include "lacquer/dsp/resampler.hpp"

namespace lacquer::analysis::detail {

namespace {

constexpr int kOpusRate = 48000;
constexpr int kFrame = 960;  // 20 ms, as streaming services use
constexpr double kWarnDbtp = -0.5;  // AES TD1008: -1 dBTP into the encoder, -0.5 at high rates

struct EncoderCloser {
  void operator()(OpusEncoder* e) const noexcept { opus_encoder_destroy(e); }
};
struct DecoderCloser {
  void operator()(OpusDecoder* d) const noexcept { opus_decoder_destroy(d); }
};

/// Feeds 20 ms frames through the encoder and decoder into a true-peak reading.
class RoundTrip {
 public:
  RoundTrip(int channels, int bitrate_kbps) : channels_(channels), peak_(kOpusRate, channels) {
    int err = 0;
    enc_.reset(opus_encoder_create(kOpusRate, channels, OPUS_APPLICATION_AUDIO, &err));
    if (err != OPUS_OK) throw std::runtime_error(opus_strerror(err));
    dec_.reset(opus_decoder_create(kOpusRate, channels, &err));
    if (err != OPUS_OK) throw std::runtime_error(opus_strerror(err));
    opus_encoder_ctl(enc_.get(), OPUS_SET_BITRATE(bitrate_kbps * 1000));
    opus_encoder_ctl(enc_.get(), OPUS_SET_COMPLEXITY(10));
    opus_encoder_ctl(enc_.get(), OPUS_GET_LOOKAHEAD(&skip_));
    pending_.reserve(static_cast<std::size_t>(kFrame * channels));
    decoded_.resize(static_cast<std::size_t>(kFrame * channels));
    packet_.resize(4000);
  }

  /// Adds interleaved frames at 48 kHz.
  void push(const float* x, std::size_t n) {
    const auto per_frame = static_cast<std::size_t>(kFrame * channels_);
    for (std::size_t i = 0; i < n * static_cast<std::size_t>(channels_); ++i) {
      pending_.push_back(x[i]);
      if (pending_.size() == per_frame) code();
    }
  }

  CodecResult finish() {
    // The encoder's lookahead: zeros push the last real samples out.
    const std::vector<float> zeros(static_cast<std::size_t>((skip_ + kFrame) * channels_), 0.0f);
    push(zeros.data(), static_cast<std::size_t>(skip_ + kFrame));
    peak_.finish();
    CodecResult r;
    r.true_peak_dbtp = 20.0 * std::log10(static_cast<double>(std::max(peak_.max_peak(), 1e-12f)));
    r.overs_on_sample = peak_.overs_on_sample();
    r.overs_inter_sample = peak_.overs_inter_sample();
    r.warning = r.true_peak_dbtp > kWarnDbtp;
    return r;
  }

 private:
  void code() {
    const int bytes = opus_encode_float(enc_.get(), pending_.data(), kFrame, packet_.data(),
                                        static_cast<opus_int32>(packet_.size()));
    pending_.clear();
    if (bytes < 0) throw std::runtime_error(opus_strerror(bytes));
    const int got = opus_decode_float(dec_.get(), packet_.data(), bytes, decoded_.data(), kFrame, 0);
    if (got < 0) throw std::runtime_error(opus_strerror(got));
    // The decoder's first `skip_` samples are the encoder's delay, not the signal.
    const auto drop = static_cast<std::size_t>(std::min(skip_, got));
    skip_ -= static_cast<int>(drop);
    peak_.push(decoded_.data() + drop * static_cast<std::size_t>(channels_),
               static_cast<std::size_t>(got) - drop);
  }

  int channels_;
  int skip_ = 0;
  std::unique_ptr<OpusEncoder, EncoderCloser> enc_;
  std::unique_ptr<OpusDecoder, DecoderCloser> dec_;
  std::vector<float> pending_, decoded_;
  std::vector<unsigned char> packet_;
  StreamingTruePeak peak_;
};

}  // namespace

CodecResult opus_round_trip(const std::function<std::size_t(float*, std::size_t)>& read, int channels,
                            double sample_rate, int bitrate_kbps,
                            const std::function<bool(std::size_t)>& keep_going) {
  const auto nch = static_cast<std::size_t>(channels);
  RoundTrip trip(channels, bitrate_kbps);
  constexpr std::size_t kChunk = 1 << 14;
  std::vector<float> chunk(kChunk * nch);
  std::unique_ptr<dsp::Resampler> resampler;
  std::vector<std::vector<double>> in(nch), out(nch);
  std::vector<const double*> ip(nch);
  std::vector<double*> op(nch);
  std::vector<float> inter;
  const std::size_t out_capacity = kChunk * 5;  // 8 kHz up to 48 kHz, and margin
  if (std::lround(sample_rate) != kOpusRate) {
    resampler = std::make_unique<dsp::Resampler>(sample_rate, kOpusRate, static_cast<unsigned>(channels));
    for (auto& v : in) v.resize(kChunk);
    for (auto& v : out) v.resize(out_capacity);
    for (std::size_t c = 0; c < nch; ++c) op[c] = out[c].data();
  }
  const auto emit = [&](std::size_t n) {
    inter.resize(n * nch);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t c = 0; c < nch; ++c) inter[i * nch + c] = static_cast<float>(out[c][i]);
    }
    trip.push(inter.data(), n);
  };
  std::size_t done = 0;
  while (const std::size_t n = read(chunk.data(), kChunk)) {
    done += n;
    if (!keep_going(done)) return {};
    if (!resampler) {
      trip.push(chunk.data(), n);
      continue;
    }
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t c = 0; c < nch; ++c) in[c][i] = chunk[i * nch + c];
    }
    for (std::size_t used = 0; used < n;) {
      for (std::size_t c = 0; c < nch; ++c) ip[c] = in[c].data() + used;
      const auto r = resampler->process(ip.data(), n - used, op.data(), out_capacity);
      emit(r.produced);
      used += r.consumed;
    }
  }
  if (resampler) {
    while (const std::size_t k = resampler->flush(op.data(), out_capacity)) emit(k);
  }
  CodecResult r = trip.finish();
  r.codec = "opus";
  r.bitrate_kbps = bitrate_kbps;
  return r;
}

}  // namespace lacquer::analysis::detail
