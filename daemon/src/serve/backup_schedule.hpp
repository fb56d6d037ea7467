#pragma once
// Online backups of the database on a schedule: the control executor's timer starts each
// copy on a thread of its own (SQLite's backup API copies in steps, so the store keeps
// writing), into `<db>.backups/`, keeping the newest few.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace lacquer::daemon {

class BackupSchedule {
 public:
  static constexpr int kKeep = 7;

  BackupSchedule(boost::asio::io_context& io, std::filesystem::path database,
                 std::chrono::seconds interval);
  ~BackupSchedule();
  BackupSchedule(const BackupSchedule&) = delete;
  BackupSchedule& operator=(const BackupSchedule&) = delete;

  void start();
  /// Cancels the timer and waits for a copy in progress.
  void stop();

  std::filesystem::path folder() const { return folder_; }
  /// Prometheus lines for /metrics.
  std::string metrics() const;

 private:
  void arm();
  void run_backup();
  void prune() const;

  boost::asio::steady_timer timer_;
  std::filesystem::path database_;
  std::filesystem::path folder_;
  std::chrono::seconds interval_;
  std::thread worker_;
  std::atomic<bool> busy_{false};
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::int64_t> last_unix_s_{0};
};

}  // namespace lacquer::daemon
