#include "serve/track_analysis.hpp"

#include <spdlog/spdlog.h>

#include "lacquer/analysis/analysis.hpp"
#include "lacquer/analysis/report_json.hpp"

namespace lacquer::daemon {

namespace {

using nlohmann::json;

/// The full analysis of `file` as the track object of `lacquer analyze --json`; a file
/// that cannot be analysed gives the object with "error". Throws analysis::Cancelled.
json analyse(const std::filesystem::path& file, const std::atomic<bool>& cancel) {
  analysis::Options options;
  options.parallel_codec = false;  // one worker thread: the audio and the executor come first
  analysis::TrackReport report;
  try {
    report = analysis::analyse_file(file, options, {}, &cancel);
  } catch (const analysis::AnalysisError& e) {
    report = analysis::TrackReport{};
    report.file = file.string();
    report.error = e.what();
  }
  return analysis::to_json(report);
}

}  // namespace

TrackAnalysis::TrackAnalysis(session::Store& store, Post on_executor, Publish publish)
    : store_(store), on_executor_(std::move(on_executor)), publish_(std::move(publish)) {
  worker_ = std::thread([this] { run(); });
}

TrackAnalysis::~TrackAnalysis() { stop(); }

void TrackAnalysis::ensure(const session::Track& track) {
  if (track.file_sha256.empty() || pending(track.id)) return;
  auto known = store_.reports_labelled(session::ReportKind::source, track.file_sha256);
  if (!known.ok()) {
    spdlog::warn("track {}: cannot read its analyses: {}", track.id, known.error().message);
    return;
  }
  for (const auto& r : *known) {
    if (r.track_id == track.id) return;
  }
  if (!known->empty()) return store_for(track, known->front().data);

  pending_tracks_.insert(track.id);
  auto& waiting = waiting_[track.file_sha256];
  waiting.push_back(track);
  if (waiting.size() > 1) return;  // the same file is queued already
  {
    std::lock_guard lock(mutex_);
    if (cancel_) return;
    jobs_.push_back({track.file_sha256, track.file_path});
  }
  wake_.notify_one();
}

void TrackAnalysis::stop() {
  {
    std::lock_guard lock(mutex_);
    cancel_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
}

void TrackAnalysis::run() {
  for (;;) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [this] { return cancel_ || !jobs_.empty(); });
    if (cancel_) return;
    const Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();

    const auto started = std::chrono::steady_clock::now();
    json report;
    try {
      report = analyse(job.file, cancel_);
    } catch (const analysis::Cancelled&) {
      return;
    }
    spdlog::info("analysed {} in {:.1f} s", job.file.string(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    on_executor_([this, sha256 = job.sha256, report = std::move(report)] { finish(sha256, report); });
  }
}

void TrackAnalysis::finish(const std::string& sha256, const json& report) {
  const auto waiting = waiting_.extract(sha256);
  if (waiting.empty()) return;
  for (const auto& track : waiting.mapped()) {
    pending_tracks_.erase(track.id);
    store_for(track, report);
  }
}

void TrackAnalysis::store_for(const session::Track& track, const json& report) {
  auto stored = store_.add_report(track.session_id, track.id, session::ReportKind::source,
                                  track.file_sha256, report);
  if (!stored.ok()) {
    spdlog::warn("track {}: cannot store its analysis: {}", track.id, stored.error().message);
    return;
  }
  publish_(track.session_id, summary(track.session_id, track.id, report));
}

json TrackAnalysis::summary(session::Id session_id, session::Id track_id, const json& report) {
  json out = {{"op", "analysis"}, {"session", session_id}, {"track", track_id}};
  for (const char* key : {"file", "error", "duration_s", "loudness", "events"}) {
    if (const auto it = report.find(key); it != report.end()) out[key] = *it;
  }
  return out;
}

}  // namespace lacquer::daemon
