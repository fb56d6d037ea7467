#include "serve/track_sources.hpp"

#include <fcntl.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "lacquer/session/sha256.hpp"

namespace lacquer::daemon {

namespace fs = std::filesystem;
using control::ErrorCode;
using control::make_error;

namespace {

bool inside(const fs::path& file, const fs::path& folder) {
  const auto [folder_end, unused] =
      std::mismatch(folder.begin(), folder.end(), file.begin(), file.end());
  return folder_end == folder.end();
}

}  // namespace

TrackSources::TrackSources(std::vector<fs::path> folders) {
  for (auto& folder : folders) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(folder, ec);
    folders_.push_back(ec ? folder.lexically_normal() : canonical);
  }
  worker_ = std::thread([this] { run(); });
}

TrackSources::~TrackSources() { stop(); }

control::Expected<fs::path> TrackSources::check(const std::string& file) const {
  std::error_code ec;
  const fs::path path = fs::canonical(fs::path(file), ec);
  if (ec) return make_error(ErrorCode::invalid_value, "cannot open " + file + ": " + ec.message());
  if (std::none_of(folders_.begin(), folders_.end(),
                   [&](const fs::path& folder) { return inside(path, folder); })) {
    return make_error(ErrorCode::forbidden, file + " is outside the media folders");
  }
  // Opened without following links or blocking on a FIFO, then checked as what was opened.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return make_error(ErrorCode::invalid_value, "cannot read " + file);
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  if (!regular) {
    ::close(fd);
    return make_error(ErrorCode::invalid_value, file + " is not a regular file");
  }
  SF_INFO info{};
  SNDFILE* sound = sf_open_fd(fd, SFM_READ, &info, SF_TRUE);  // closes fd
  if (sound == nullptr) {
    return make_error(ErrorCode::invalid_value, file + " is not an audio file libsndfile reads");
  }
  sf_close(sound);
  if (info.frames <= 0 || info.samplerate <= 0) {
    return make_error(ErrorCode::invalid_value, file + " holds no audio");
  }
  return path;
}

void TrackSources::hash(fs::path file, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back({std::move(file), std::move(done)});
  }
  wake_.notify_one();
}

void TrackSources::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
}

void TrackSources::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    auto result = digest(job.file);
    if (stopping_) return;
    job.done(std::move(result));
  }
}

control::Expected<std::string> TrackSources::digest(const fs::path& file) const {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) ::close(fd);
    return make_error(ErrorCode::invalid_value, "cannot read " + file.string());
  }
  session::Sha256 sha;
  std::array<std::byte, 1 << 16> buffer{};
  for (;;) {
    if (stopping_) break;
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      ::close(fd);
      return make_error(ErrorCode::invalid_value, "cannot read " + file.string());
    }
    if (got == 0) break;
    sha.update(std::span<const std::byte>(buffer.data(), static_cast<std::size_t>(got)));
  }
  ::close(fd);
  const auto bytes = sha.finish();
  std::string hex;
  hex.reserve(64);
  for (const auto b : bytes) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", b);
    hex += two;
  }
  return hex;
}

}  // namespace lacquer::daemon
