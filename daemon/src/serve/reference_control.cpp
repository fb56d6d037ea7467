#include "serve/reference_control.hpp"

#include <spdlog/spdlog.h>

#include "serve/api_routes.hpp"
#include "lacquer/analysis/report_json.hpp"

namespace lacquer::daemon {

using control::ErrorCode;
using control::make_error;

ReferenceControl::ReferenceControl(session::Store& store, ReferencePlayer& player,
                                   std::function<double()> sample_rate, Post post,
                                   std::function<void()> changed)
    : store_(store),
      player_(player),
      sample_rate_(std::move(sample_rate)),
      post_(std::move(post)),
      changed_(std::move(changed)) {}

ReferenceControl::~ReferenceControl() { stop(); }

void ReferenceControl::stop() {
  for (auto& t : loads_) {
    if (t.joinable()) t.join();
  }
  loads_.clear();
}

void ReferenceControl::open_session(session::Id id) {
  session_ = id;
  auto refs = store_.references(id);
  const int position = refs.ok() && !refs->empty() ? 1 : 0;
  if (auto r = select(position); !r.ok()) {
    spdlog::warn("session {}: reference: {}", id, r.error().message);
  }
}

control::Expected<int> ReferenceControl::select(int position) {
  if (position < 0) return make_error(ErrorCode::invalid_value, "reference positions start at 1");
  ++generation_;
  failure_.clear();
  if (position == 0) {
    selected_ = 0;
    selected_id_.reset();
    ready_ = false;
    player_.load(nullptr);
    return 0;
  }
  if (!session_) return make_error(ErrorCode::unavailable, "no session is open");
  auto refs = store_.references(*session_);
  if (!refs.ok()) return from_store(refs.error());
  if (static_cast<std::size_t>(position) > refs->size()) {
    return make_error(ErrorCode::invalid_value,
                      "session " + std::to_string(*session_) + " has " +
                          std::to_string(refs->size()) + " reference track(s)");
  }
  const session::ReferenceTrack ref = (*refs)[static_cast<std::size_t>(position - 1)];
  selected_ = position;
  selected_id_ = ref.id;
  ready_ = false;
  const std::uint64_t generation = generation_;
  const double rate = sample_rate_();
  loads_.emplace_back([this, ref, rate, generation] {
    std::shared_ptr<ReferenceAudio> audio;
    std::string failure;
    nlohmann::json report;
    try {
      auto loaded = load_reference(ref.id, ref.file_path, rate);
      report = analysis::to_json(loaded.report);
      audio = std::move(loaded.audio);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    post_([this, ref, generation, audio, failure, report]() mutable {
      if (generation != generation_) return;
      if (!failure.empty()) {
        spdlog::warn("reference track {} cannot be played: {}", ref.id, failure);
        failure_ = failure;
        changed_();
        return;
      }
      auto stored = store_.add_report(ref.session_id, std::nullopt, session::ReportKind::source,
                                      ref.file_sha256, report);
      if (!stored.ok()) spdlog::warn("reference track {}: {}", ref.id, stored.error().message);
      player_.load(std::make_unique<ReferenceAudio>(std::move(*audio)));
      ready_ = true;
      changed_();
    });
  });
  return position;
}

std::optional<session::Id> ReferenceControl::heard() const {
  return ready_ ? selected_id_ : std::nullopt;
}

}  // namespace lacquer::daemon
