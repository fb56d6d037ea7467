#pragma once
// The open session's reference tracks for the monitors: which one is selected, loading it
// (decode at the engine's rate, loudness and spectrum) on a thread of its own, and handing it
// to the ReferencePlayer; the analysis is stored as the file's source report, so the console
// can overlay the reference's spectrum. Runs on the control executor.

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "lacquer/control/hub.hpp"
#include "lacquer/session/store.hpp"
#include "audio/reference_player.hpp"

namespace lacquer::daemon {

class ReferenceControl : public control::ReferencePort {
 public:
  using Post = std::function<void(std::function<void()>)>;

  /// `sample_rate` gives the engine's current rate; `post` runs work on the executor;
  /// `changed` is called when a selected reference became ready or failed to load.
  ReferenceControl(session::Store& store, ReferencePlayer& player,
                   std::function<double()> sample_rate, Post post, std::function<void()> changed);
  ~ReferenceControl() override;
  ReferenceControl(const ReferenceControl&) = delete;
  ReferenceControl& operator=(const ReferenceControl&) = delete;

  /// A session was opened: its first reference is selected, or none.
  void open_session(session::Id id);

  control::Expected<int> select(int position) override;
  int selected() const override { return selected_; }
  bool ready() const override { return ready_; }

  /// The store id of the reference the monitors play, when one is ready.
  std::optional<session::Id> heard() const;
  /// The open session, when one is.
  std::optional<session::Id> session() const { return session_; }
  /// Why the selected reference cannot be played ("" when it can or is loading).
  const std::string& failure() const { return failure_; }

  /// Waits for loads in flight; called at shutdown.
  void stop();

 private:
  session::Store& store_;
  ReferencePlayer& player_;
  std::function<double()> sample_rate_;
  Post post_;
  std::function<void()> changed_;
  std::string failure_;
  std::optional<session::Id> session_;
  int selected_ = 0;
  std::optional<session::Id> selected_id_;
  bool ready_ = false;
  std::uint64_t generation_ = 0;  // a load finishing for an older selection is dropped
  std::vector<std::thread> loads_;
};

}  // namespace lacquer::daemon
