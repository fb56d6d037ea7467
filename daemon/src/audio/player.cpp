#include "audio/player.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <stdexcept>

#include <sndfile.h>
#include <soxr.h>

namespace lacquer::daemon {

struct Player::Playlist {
  std::vector<std::shared_ptr<const PlayerTrack>> tracks;
  /// For a reordered playlist: the new index of each track of the one it replaces, so the
  /// track playing goes on at its position. Empty: start at track 0.
  std::vector<std::int32_t> moved_to;
};

PlayerTrack decode_track(const std::string& path, double sample_rate) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) {
    throw std::runtime_error("cannot read audio file " + path + ": " + sf_strerror(nullptr));
  }
  struct Closer {
    SNDFILE* f;
    ~Closer() { sf_close(f); }
  } closer{file};
  if (info.frames <= 0) throw std::runtime_error(path + ": the file holds no audio");
  if (info.channels < 1 || info.channels > 2) {
    throw std::runtime_error(path + ": " + std::to_string(info.channels) +
                             " channels; the player takes mono or stereo");
  }
  const auto frames = static_cast<std::size_t>(info.frames);
  std::vector<float> interleaved(frames * static_cast<std::size_t>(info.channels));
  const sf_count_t read = sf_readf_float(file, interleaved.data(), info.frames);
  if (read <= 0) throw std::runtime_error(path + ": cannot decode: " + sf_strerror(file));

  std::vector<float> stereo(static_cast<std::size_t>(read) * 2);
  for (std::size_t i = 0; i < static_cast<std::size_t>(read); ++i) {
    stereo[2 * i] = interleaved[i * static_cast<std::size_t>(info.channels)];
    stereo[2 * i + 1] = interleaved[i * static_cast<std::size_t>(info.channels) +
                                    static_cast<std::size_t>(info.channels - 1)];
  }

  if (static_cast<double>(info.samplerate) != sample_rate) {
    const double ratio = sample_rate / static_cast<double>(info.samplerate);
    std::vector<float> resampled(static_cast<std::size_t>(std::ceil(
                                     static_cast<double>(read) * ratio)) * 2 + 64);
    std::size_t done = 0;
    const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_VHQ, 0);
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_error_t error = soxr_oneshot(
        info.samplerate, sample_rate, 2, stereo.data(), static_cast<std::size_t>(read),
        nullptr, resampled.data(), resampled.size() / 2, &done, &io, &quality, nullptr);
    if (error != nullptr) throw std::runtime_error(path + ": resampling failed: " + error);
    resampled.resize(done * 2);
    stereo = std::move(resampled);
  }

  PlayerTrack track;
  track.file = path;
  const auto slash = path.find_last_of('/');
  track.title = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::size_t n = stereo.size() / 2;
  track.left.resize(n);
  track.right.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    track.left[i] = stereo[2 * i];
    track.right[i] = stereo[2 * i + 1];
  }
  return track;
}

PlayerTrack make_demo_track(double sample_rate, double seconds) {
  // Four bars of 120 BPM: kick on the beat, snare-like noise on 2 and 4, hats on eighths,
  // a bass line, a detuned pad, panned so the meters show width and correlation.
  const auto n = static_cast<std::size_t>(sample_rate * seconds);
  PlayerTrack track;
  track.title = "Demo (synthesized)";
  track.left.assign(n, 0.0f);
  track.right.assign(n, 0.0f);
  const double beat = sample_rate * 0.5;
  const double two_pi = 2.0 * std::numbers::pi;
  const double bass_notes[4] = {55.0, 55.0, 73.42, 65.41};
  const double pad_notes[4][3] = {
      {220.0, 261.63, 329.63}, {220.0, 261.63, 329.63}, {293.66, 349.23, 440.0}, {261.63, 329.63, 392.0}};
  // Saws of eight harmonics (`cycles`: periods since 0): a naive saw steps once a period,
  // a click that QC of the demo would rightly report at every period.
  const auto saw = [&](double cycles) {
    double sum = 0.0;
    for (int k = 1; k <= 8; ++k) sum += (k % 2 == 1 ? 1.0 : -1.0) * std::sin(two_pi * k * cycles) / k;
    return sum * 2.0 / std::numbers::pi;
  };
  std::mt19937 rng(1234);
  std::uniform_real_distribution<double> noise(-1.0, 1.0);
  double kick_phase = 0.0;
  double hat_state = 0.0;
  double pad_lp_l = 0.0;
  double pad_lp_r = 0.0;
  const double pad_coeff = 1.0 - std::exp(-two_pi * 1800.0 / sample_rate);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / sample_rate;
    const double in_beat = std::fmod(static_cast<double>(i), beat) / sample_rate;
    const auto beat_index = static_cast<std::size_t>(static_cast<double>(i) / beat);
    const std::size_t bar = (beat_index / 4) % 4;

    const double kick_freq = 45.0 + 90.0 * std::exp(-in_beat * 30.0);
    kick_phase += two_pi * kick_freq / sample_rate;
    const double kick = std::sin(kick_phase) * std::exp(-in_beat * 7.0);

    const double white = noise(rng);
    const double snare = (beat_index % 2 == 1) ? white * std::exp(-in_beat * 18.0) : 0.0;
    const double in_eighth = std::fmod(static_cast<double>(i), beat / 2.0) / sample_rate;
    const double hat = (white - hat_state) * std::exp(-in_eighth * 60.0);  // first difference
    hat_state = white;

    const double bass_freq = bass_notes[bar];
    const double bass_saw = saw(bass_freq * t);
    const double bass = (0.7 * std::sin(two_pi * bass_freq * t) + 0.3 * bass_saw) *
                        (0.6 + 0.4 * std::exp(-in_beat * 4.0));

    double pad_l = 0.0;
    double pad_r = 0.0;
    for (double f : pad_notes[bar]) {
      pad_l += saw(t * f * 1.003);
      pad_r += saw(t * f * 0.997);
    }
    pad_lp_l += pad_coeff * (pad_l - pad_lp_l);
    pad_lp_r += pad_coeff * (pad_r - pad_lp_r);

    const double center = 0.45 * kick + 0.22 * bass + 0.12 * snare;
    const double left = center + 0.06 * pad_lp_l + 0.05 * hat;
    const double right = center + 0.06 * pad_lp_r + 0.03 * hat;
    track.left[i] = static_cast<float>(left * 0.7);
    track.right[i] = static_cast<float>(right * 0.7);
  }
  return track;
}

Player::Player() = default;

Player::~Player() {
  collect_garbage();
  delete pending_.exchange(nullptr);
  delete active_;
}

void Player::load(std::vector<PlayerTrack> tracks, double sample_rate) {
  std::vector<TrackInfo> infos;
  rate_.store(sample_rate);
  const double rate = sample_rate;
  for (const auto& t : tracks) {
    infos.push_back({t.title, t.file, static_cast<double>(t.left.size()) / rate});
  }
  infos_ = std::move(infos);
  stop();
  auto* playlist = new Playlist;
  for (auto& t : tracks) playlist->tracks.push_back(std::make_shared<const PlayerTrack>(std::move(t)));
  publish(playlist);
}

void Player::publish(Playlist* playlist) {
  // A playlist still pending was never played; it is replaced and freed here.
  delete pending_.exchange(playlist);
  loaded_ = playlist;
  collect_garbage();
}

void Player::reorder(const std::vector<std::size_t>& order) {
  if (loaded_ == nullptr || order.size() != loaded_->tracks.size()) return;
  auto* playlist = new Playlist;
  playlist->moved_to.assign(order.size(), 0);
  std::vector<TrackInfo> infos;
  for (std::size_t now = 0; now < order.size(); ++now) {
    // The decoded audio is shared with the current playlist, not copied.
    playlist->tracks.push_back(loaded_->tracks.at(order[now]));
    playlist->moved_to.at(order[now]) = static_cast<std::int32_t>(now);
    infos.push_back(infos_.at(order[now]));
  }
  infos_ = std::move(infos);
  publish(playlist);
}

std::vector<Player::TrackInfo> Player::tracks() const { return infos_; }

void Player::collect_garbage() {
  while (const auto old = retired_.pop()) delete *old;
}

void Player::locate(double seconds) noexcept {
  const double frames = std::max(0.0, seconds) * rate_.load(std::memory_order_relaxed);
  locate_frames_.store(static_cast<std::int64_t>(frames), std::memory_order_relaxed);
}

void Player::select(std::int32_t track) noexcept {
  select_track_.store(std::max(0, track), std::memory_order_relaxed);
}

PlayerStatus Player::status() const noexcept {
  PlayerStatus s;
  const double rate = rate_.load(std::memory_order_relaxed);
  s.playing = playing_.load(std::memory_order_relaxed);
  s.track = track_.load(std::memory_order_relaxed);
  s.position_frames = position_.load(std::memory_order_relaxed);
  s.position_s = static_cast<double>(s.position_frames) / rate;
  s.duration_s = static_cast<double>(length_.load(std::memory_order_relaxed)) / rate;
  return s;
}

bool Player::render(float* left, float* right, std::uint32_t nframes, double sample_rate) noexcept {
  rate_.store(sample_rate, std::memory_order_relaxed);
  if (pending_.load(std::memory_order_relaxed) != nullptr && retired_.size() < retired_.capacity()) {
    if (Playlist* next = pending_.exchange(nullptr, std::memory_order_acq_rel)) {
      if (active_ != nullptr) retired_.push(active_);
      active_ = next;
      const auto was = static_cast<std::size_t>(track_.load(std::memory_order_relaxed));
      if (was < next->moved_to.size()) {
        track_.store(next->moved_to[was], std::memory_order_relaxed);
      } else {
        track_.store(0, std::memory_order_relaxed);
        position_.store(0, std::memory_order_relaxed);
      }
    }
  }
  if (active_ == nullptr || active_->tracks.empty()) {
    length_.store(0, std::memory_order_relaxed);
    return false;
  }

  const auto count = static_cast<std::int32_t>(active_->tracks.size());
  std::int32_t track = track_.load(std::memory_order_relaxed);
  std::uint64_t position = position_.load(std::memory_order_relaxed);
  const std::int32_t selected = select_track_.exchange(-1, std::memory_order_relaxed);
  if (selected >= 0) {
    track = std::min(selected, count - 1);
    position = 0;
  }
  const std::int64_t located = locate_frames_.exchange(-1, std::memory_order_relaxed);
  const PlayerTrack* current = active_->tracks[static_cast<std::size_t>(track)].get();
  if (located >= 0) {
    position = std::min<std::uint64_t>(static_cast<std::uint64_t>(located), current->left.size());
  }

  const bool playing = playing_.load(std::memory_order_relaxed);
  if (playing) {
    std::uint32_t written = 0;
    std::int32_t ended_in_a_row = 0;  // a playlist of empty tracks plays nothing, and stops
    while (written < nframes) {
      const std::uint64_t left_in_track = current->left.size() - position;
      if (left_in_track == 0) {
        const bool last = track + 1 >= count;
        if ((last && !loop_.load(std::memory_order_relaxed)) || ++ended_in_a_row > count) {
          std::fill(left + written, left + nframes, 0.0f);
          std::fill(right + written, right + nframes, 0.0f);
          playing_.store(false, std::memory_order_relaxed);
          break;
        }
        track = last ? 0 : track + 1;
        position = 0;
        current = active_->tracks[static_cast<std::size_t>(track)].get();
        continue;
      }
      const auto n = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(left_in_track, nframes - written));
      std::copy_n(current->left.data() + position, n, left + written);
      std::copy_n(current->right.data() + position, n, right + written);
      ended_in_a_row = 0;
      written += n;
      position += n;
    }
  }
  track_.store(track, std::memory_order_relaxed);
  position_.store(position, std::memory_order_relaxed);
  length_.store(current->left.size(), std::memory_order_relaxed);
  return playing;
}

}  // namespace lacquer::daemon
