#include "serve/backup_schedule.hpp"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "lacquer/session/store.hpp"
#include "serve/prometheus.hpp"

namespace lacquer::daemon {

namespace fs = std::filesystem;

BackupSchedule::BackupSchedule(boost::asio::io_context& io, fs::path database,
                               std::chrono::seconds interval)
    : timer_(io),
      database_(std::move(database)),
      folder_(database_.string() + ".backups"),
      interval_(interval) {}

BackupSchedule::~BackupSchedule() { stop(); }

void BackupSchedule::start() { arm(); }

void BackupSchedule::stop() {
  timer_.cancel();
  if (worker_.joinable()) worker_.join();
}

void BackupSchedule::arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    // A copy still running (a huge database, a slow disk) is left to finish.
    if (!busy_.exchange(true)) {
      if (worker_.joinable()) worker_.join();
      worker_ = std::thread([this] { run_backup(); });
    }
    arm();
  });
}

void BackupSchedule::run_backup() {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  const auto result = session::backup_database(database_, folder_);
  if (result.ok()) {
    ++done_;
    last_unix_s_ = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    spdlog::info("backup: {} ({} bytes)", result->path.string(), result->bytes);
    prune();
  } else {
    ++failed_;
    spdlog::error("backup into {} failed: {}", folder_.string(), result.error().message);
  }
  busy_ = false;
}

void BackupSchedule::prune() const {
  std::vector<fs::path> copies;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("lacquer-", 0) == 0 && entry.path().extension() == ".db") {
      copies.push_back(entry.path());
    }
  }
  // Names carry a UTC timestamp, so name order is age order.
  std::sort(copies.begin(), copies.end());
  for (std::size_t i = 0; i + kKeep < copies.size(); ++i) fs::remove(copies[i], ec);
}

std::string BackupSchedule::metrics() const {
  return prometheus_metric("backups_total", "counter", "Scheduled database backups written",
                           static_cast<double>(done_.load())) +
         prometheus_metric("backup_failures_total", "counter",
                           "Scheduled database backups that failed",
                           static_cast<double>(failed_.load())) +
         prometheus_metric("backup_last_unix_seconds", "gauge", "Time of the last good backup",
                           static_cast<double>(last_unix_s_.load()));
}

}  // namespace lacquer::daemon
