#pragma once
// Deliveries inside the daemon: the console starts `lacquer deliver` on a session's album
// (engineer only). Each runs on a worker thread of its own (one at a time, queued), never on
// the control executor or the audio thread; its progress per format and, at the end, its
// report are pushed to the session's engineers ({"op":"delivery", "delivery": {...}} on the
// params topic, as the album's changes), and its files are downloaded over HTTP with the
// engineer token, only files its manifest lists. Deliveries land in the configured folder
// (`deliver.folder`, default `<db>.deliveries/`), each as its own folder beside a JSON file
// of its state, read back at start (one cut short by a stop is "interrupted").
// Examples:
//   POST /api/sessions/3/deliveries {"formats":["cd","vinyl"],"overrides":["isrc"]}
//     -> 202 {"id":4,"session_id":3,"name":"session-3-delivery-4","state":"queued",...}
//   push {"op":"delivery","session_id":3,"delivery":{"id":4,"state":"running",
//         "progress":{"cd":0.42,"vinyl":0},"current":"cd 02 Slow",...}}
//   GET /api/sessions/3/deliveries -> 200 {"deliveries":[{...}]}
//   GET /api/sessions/3/deliveries/4 -> 200 {..., "state":"done", "files":["cd/album.cue",...],
//         "reports":{"cd":{"passed":true,"rules":25,"failed":0,"warnings":0}}, "rules":[...]}
//   GET /api/sessions/3/deliveries/4/files/cd/album.cue -> 200 the file
//   DELETE /api/sessions/3/deliveries/5 -> 202 {...,"state":"running"}; pushed: "cancelled"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "deliver/deliver.hpp"
#include "lacquer/control/command.hpp"
#include "lacquer/control/http_server.hpp"
#include "lacquer/session/store.hpp"

namespace lacquer::daemon {

struct ApiContext;

/// One thread working through a queue of functions; stop() abandons what is queued.
class WorkQueue {
 public:
  WorkQueue();
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  void post(std::function<void()> work);
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

class Deliveries {
 public:
  /// `post` runs a function on the control executor; `push` tells a session's engineers.
  Deliveries(std::filesystem::path folder, std::function<void(std::function<void()>)> post,
             std::function<void(session::Id, const nlohmann::json&)> push);
  ~Deliveries();
  Deliveries(const Deliveries&) = delete;
  Deliveries& operator=(const Deliveries&) = delete;

  /// Cancels the running delivery (at its next render or check) and joins the workers.
  void stop();

  // Executor only:
  /// Queues a delivery of the session's album with the body's options.
  control::Expected<nlohmann::json> start(const session::Store& store, session::Id session,
                                          const nlohmann::json& body);
  nlohmann::json list(session::Id session) const;
  control::Expected<nlohmann::json> get(session::Id session, int id) const;
  /// Cancels a queued or running delivery: it ends "cancelled" (pushed), at its next render or
  /// check, leaving nothing in the folder. Refused once it has ended.
  control::Expected<nlohmann::json> cancel(session::Id session, int id);
  /// Answers with a file of a finished delivery (a path its manifest lists, percent-decoded),
  /// which the HTTP server sends from disk.
  void download(session::Id session, int id, const std::string& relative,
                control::HttpResponder respond);

  const std::filesystem::path& folder() const noexcept { return folder_; }

 private:
  struct Job;
  void run(const std::shared_ptr<Job>& job);
  void update(int id, const std::function<void(nlohmann::json&)>& change, bool save);
  /// The delivery's outcome into its state, saved and pushed.
  void finish(int id, const nlohmann::json& outcome);
  void save(const nlohmann::json& state) const;

  std::filesystem::path folder_;
  std::function<void(std::function<void()>)> post_;
  std::function<void(session::Id, const nlohmann::json&)> push_;
  std::map<int, nlohmann::json> deliveries_;  // by id: each delivery's state, as the API shows it
  int next_id_ = 1;
  std::mutex active_mutex_;  // the executor, the worker and stop() reach the two below
  std::map<int, std::shared_ptr<Job>> active_;  // queued or running, by id
  bool stopping_ = false;
  WorkQueue worker_;  // the deliveries, one at a time
};

/// /api/sessions/ID/deliveries[...] (engineer only): POST starts, GET lists or shows one,
/// GET .../N/files/PATH downloads.
void delivery_route(ApiContext& api, Deliveries& deliveries, const control::HttpRequest& req,
                    session::Id session, const std::vector<std::string>& parts,
                    const control::HttpResponder& respond);

}  // namespace lacquer::daemon
