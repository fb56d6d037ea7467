#include "audio/reference_player.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "lacquer/analysis/analysis.hpp"

namespace lacquer::daemon {

LoadedReference load_reference(std::int64_t id, const std::string& path, double sample_rate) {
  auto audio = std::make_unique<ReferenceAudio>();
  audio->id = id;
  audio->track = decode_track(path, sample_rate);
  const std::size_t n = audio->track.left.size();
  std::vector<float> interleaved(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    interleaved[2 * i] = audio->track.left[i];
    interleaved[2 * i + 1] = audio->track.right[i];
  }
  analysis::Options options;
  options.codec = false;
  analysis::TrackReport report;
  try {
    report = analysis::analyse(interleaved.data(), n, 2, sample_rate, options);
  } catch (const analysis::AnalysisError& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  report.file = path;
  audio->integrated_lufs = report.loudness.integrated_lufs;
  audio->true_peak_dbtp = report.loudness.true_peak_dbtp;
  audio->short_term_hop_s = report.loudness_curve.hop_s;
  audio->short_term_lufs = report.loudness_curve.short_term;
  return {std::move(audio), std::move(report)};
}

ReferencePlayer::~ReferencePlayer() {
  // The audio thread is stopped before the player is destroyed.
  collect_garbage();
  delete pending_.exchange(nullptr);
  delete active_;
}

void ReferencePlayer::load(std::unique_ptr<ReferenceAudio> audio) {
  if (audio == nullptr) {
    delete pending_.exchange(nullptr, std::memory_order_acq_rel);
    unload_.store(true, std::memory_order_release);
  } else {
    unload_.store(false, std::memory_order_release);
    // A reference still pending was never heard; it is replaced and freed here.
    delete pending_.exchange(audio.release(), std::memory_order_acq_rel);
  }
  collect_garbage();
}

void ReferencePlayer::collect_garbage() {
  while (const auto old = retired_.pop()) delete *old;
}

bool ReferencePlayer::render(float* left, float* right, std::uint32_t nframes, bool heard,
                             double sample_rate,
                             dsp::MonitorPath::SourceLoudness& loudness) noexcept {
  if (retired_.size() < retired_.capacity()) {
    ReferenceAudio* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
    const bool unload = next == nullptr && unload_.exchange(false, std::memory_order_acq_rel);
    if (next != nullptr || unload) {
      if (active_ != nullptr) retired_.push(active_);
      active_ = next;
      position_.store(0, std::memory_order_relaxed);
    }
  }
  if (active_ == nullptr || active_->track.left.empty()) return false;
  const std::vector<float>& l = active_->track.left;
  const std::vector<float>& r = active_->track.right;
  std::uint64_t at = position_.load(std::memory_order_relaxed);

  // The loudness is known whether or not the reference plays: the chain stays matched to it.
  loudness.integrated_lufs = active_->integrated_lufs;
  loudness.true_peak_dbtp = active_->true_peak_dbtp;
  loudness.short_term_lufs = -INFINITY;
  const auto& curve = active_->short_term_lufs;
  if (!curve.empty() && active_->short_term_hop_s > 0.0) {
    const auto hop = static_cast<std::size_t>(static_cast<double>(at) / sample_rate /
                                              active_->short_term_hop_s);
    const double v = curve[std::min(hop, curve.size() - 1)];
    if (std::isfinite(v)) loudness.short_term_lufs = v;
  }

  // The monitors' crossfade away from the reference still hears it.
  const auto fade_frames =
      static_cast<std::uint64_t>(sample_rate * dsp::MonitorPath::kFadeMs * 2e-3);
  frames_after_heard_ = heard ? 0 : frames_after_heard_ + nframes;
  if (!heard && frames_after_heard_ > fade_frames + nframes) return false;

  for (std::uint32_t i = 0; i < nframes; ++i) {
    if (at >= l.size()) at = 0;  // the reference loops
    left[i] = l[at];
    right[i] = r[at];
    ++at;
  }
  position_.store(at, std::memory_order_relaxed);
  return true;
}

}  // namespace lacquer::daemon
