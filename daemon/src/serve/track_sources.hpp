#pragma once
// Where tracks may come from: regular, readable audio files inside the configured media
// folders (a request naming /dev/zero or /etc/shadow is refused before anything reads it),
// hashed on a thread of their own so a long file never holds up the control executor.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lacquer/control/command.hpp"

namespace lacquer::daemon {

class TrackSources {
 public:
  using Done = std::function<void(control::Expected<std::string> sha256)>;

  /// Folders that do not exist are kept (they may be mounted later) but match nothing.
  explicit TrackSources(std::vector<std::filesystem::path> folders);
  ~TrackSources();
  TrackSources(const TrackSources&) = delete;
  TrackSources& operator=(const TrackSources&) = delete;

  /// The file's canonical path when it is a regular file that its reader may open, inside
  /// one of the folders (symbolic links resolved first), and audio libsndfile can read;
  /// invalid_value (or forbidden, outside the folders) otherwise.
  control::Expected<std::filesystem::path> check(const std::string& file) const;

  /// Hashes `file` (SHA-256, hex) on the worker and calls `done` there; never called for
  /// work still queued or running when stop() comes.
  void hash(std::filesystem::path file, Done done);

  /// Abandons queued work, interrupts the running hash and joins the worker.
  void stop();

  const std::vector<std::filesystem::path>& folders() const noexcept { return folders_; }

 private:
  struct Job {
    std::filesystem::path file;
    Done done;
  };

  void run();
  control::Expected<std::string> digest(const std::filesystem::path& file) const;

  std::vector<std::filesystem::path> folders_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

}  // namespace lacquer::daemon
