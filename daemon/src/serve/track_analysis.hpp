#pragma once
// QC of a session's tracks in the daemon: each track's file is analysed (lacquer::analysis)
// on one worker thread of its own, never on the control executor, and the result is stored
// as the track's `source` report labelled with the file's SHA-256. A file already analysed
// under that hash, for any track of any session, is not analysed again: its report is
// copied for the new track.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "lacquer/session/store.hpp"

namespace lacquer::daemon {

class TrackAnalysis {
 public:
  /// Runs a function on the control executor.
  using Post = std::function<void(std::function<void()>)>;
  /// Tells subscribers of the session that a track's analysis is stored (on the executor).
  using Publish = std::function<void(session::Id session_id, const nlohmann::json& message)>;

  /// `store` is used on the executor only.
  TrackAnalysis(session::Store& store, Post on_executor, Publish publish);
  ~TrackAnalysis();
  TrackAnalysis(const TrackAnalysis&) = delete;
  TrackAnalysis& operator=(const TrackAnalysis&) = delete;

  /// On the executor: gives `track` a source report for its file's SHA-256, at once when
  /// that file was analysed before, else once the worker has analysed it.
  void ensure(const session::Track& track);

  /// On the executor: whether `track_id` waits for the worker (queued or running).
  bool pending(session::Id track_id) const { return pending_tracks_.contains(track_id); }

  /// Abandons queued work, cancels the running analysis and joins the worker.
  void stop();

  /// The push for a stored report: {"op":"analysis","session","track", and a summary}.
  static nlohmann::json summary(session::Id session_id, session::Id track_id,
                                const nlohmann::json& report);

 private:
  struct Job {
    std::string sha256;
    std::filesystem::path file;
  };

  void run();
  /// On the executor: stores `report` for every track waiting on `sha256`.
  void finish(const std::string& sha256, const nlohmann::json& report);
  void store_for(const session::Track& track, const nlohmann::json& report);

  session::Store& store_;
  Post on_executor_;
  Publish publish_;
  // Executor only: tracks waiting for the analysis of each hash.
  std::map<std::string, std::vector<session::Track>> waiting_;
  std::set<session::Id> pending_tracks_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::atomic<bool> cancel_{false};
  std::thread worker_;
};

}  // namespace lacquer::daemon
