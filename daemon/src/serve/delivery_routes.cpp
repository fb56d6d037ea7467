#include "serve/delivery_routes.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>

#include "lacquer/dsp/targets.hpp"
#include "lacquer/session/album.hpp"
#include "serve/api_routes.hpp"

namespace lacquer::daemon {

namespace fs = std::filesystem;
using control::ErrorCode;
using control::Expected;
using control::make_error;
using nlohmann::json;

// ---- WorkQueue -------------------------------------------------------------------------

WorkQueue::WorkQueue()
    : thread_([this] {
        for (;;) {
          std::function<void()> work;
          {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            work = std::move(queue_.front());
            queue_.pop_front();
          }
          work();
        }
      }) {}

WorkQueue::~WorkQueue() { stop(); }

void WorkQueue::post(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
}

void WorkQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

// ---- Deliveries ------------------------------------------------------------------------

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

fs::path state_file(const fs::path& folder, int id) { return folder / ("delivery-" + std::to_string(id) + ".json"); }

control::Error refused(const std::string& field, const std::string& rule) {
  return make_error(ErrorCode::bad_request, field + ": " + rule);
}

/// The body's options; the first refusal names its field. Known fields: formats (required),
/// loudness, target, rate, dither, vinyl_mono_below, overrides, out.
Expected<deliver::DeliverOptions> options_of(const json& body, std::string& name) {
  static const std::set<std::string> kFields = {"formats", "loudness", "target", "rate", "dither",
                                                "vinyl_mono_below", "overrides", "out"};
  for (const auto& [key, value] : body.items()) {
    if (kFields.count(key) == 0) return refused(key, "is not a field here");
  }
  deliver::DeliverOptions opt;
  opt.formats.clear();
  const auto formats = body.find("formats");
  if (formats == body.end() || !formats->is_array() || formats->empty()) {
    return refused("formats", "is a list of one or more of cd, streaming, hires, vinyl");
  }
  for (const auto& f : *formats) {
    const auto format = f.is_string() ? deliver::parse_format(f.get<std::string>()) : std::nullopt;
    if (!format) return refused("formats", f.dump() + " is not cd, streaming, hires or vinyl");
    if (std::find(opt.formats.begin(), opt.formats.end(), *format) == opt.formats.end()) opt.formats.push_back(*format);
  }
  const auto text = [&](const char* key) -> Expected<std::optional<std::string>> {
    const auto it = body.find(key);
    if (it == body.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return refused(key, "must be a string");
    return std::optional<std::string>(it->get<std::string>());
  };
  auto loudness = text("loudness");
  if (!loudness.ok()) return loudness.error();
  if (*loudness && **loudness != "track" && **loudness != "album") return refused("loudness", "is track or album");
  opt.album_loudness = *loudness && **loudness == "album";
  auto target = text("target");
  if (!target.ok()) return target.error();
  if (*target) {
    const dsp::LoudnessTarget* t = dsp::find_target(**target);
    if (t == nullptr || !t->streaming) return refused("target", "is a streaming service (spotify, apple, youtube, tidal, deezer, amazon)");
    opt.target = **target;
  }
  if (const auto rate = body.find("rate"); rate != body.end() && !rate->is_null()) {
    if (!rate->is_number() || (rate->get<double>() != 44100.0 && rate->get<double>() != 48000.0)) {
      return refused("rate", "is 44100 or 48000");
    }
    opt.rate_hz = rate->get<double>();
  }
  auto dither = text("dither");
  if (!dither.ok()) return dither.error();
  if (*dither) {
    static const std::set<std::string> kDithers = {"off", "tpdf", "lipshitz", "fweighted", "shibata"};
    if (kDithers.count(**dither) == 0) return refused("dither", "is off, tpdf, lipshitz, fweighted or shibata");
    opt.dither = dsp::parse_dither_type(**dither);
  }
  if (const auto mono = body.find("vinyl_mono_below"); mono != body.end() && !mono->is_null()) {
    if (!mono->is_number() || mono->get<double>() < 0.0 || mono->get<double>() > 300.0) {
      return refused("vinyl_mono_below", "is a frequency from 0 (off) to 300 Hz");
    }
    opt.vinyl_mono_below_hz = mono->get<double>();
  }
  if (const auto over = body.find("overrides"); over != body.end() && !over->is_null()) {
    if (!over->is_array()) return refused("overrides", "is a list of rule names");
    for (const auto& r : *over) {
      const std::string rule = r.is_string() ? r.get<std::string>() : r.dump();
      if (std::find(deliver::kRules.begin(), deliver::kRules.end(), rule) == deliver::kRules.end()) {
        return refused("overrides", rule + " is not a rule");
      }
      opt.overrides.insert(rule);
    }
  }
  auto out = text("out");
  if (!out.ok()) return out.error();
  if (*out) {
    static const std::regex kName("^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$");
    if (!std::regex_match(**out, kName) || (*out)->find("..") != std::string::npos) {
      return refused("out", "is a folder name (letters, digits, space, . _ -), not a path");
    }
    name = **out;
  }
  return opt;
}

/// The request's path percent-decoded; nothing on a bad escape.
std::optional<std::string> percent_decoded(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return std::nullopt;
    }
    out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

std::string content_type(const fs::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".json") return "application/json";
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".wav") return "audio/wav";
  if (ext == ".flac") return "audio/flac";
  if (ext == ".cue" || ext == ".txt" || p.filename() == "SHA256SUMS") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace

struct Deliveries::Job {
  int id = 0;
  session::Id session = 0;
  deliver::Release release;
  deliver::DeliverOptions options;
  std::atomic<bool> cancel{false};  // by the engineer or the daemon's stop
};

Deliveries::Deliveries(fs::path folder, std::function<void(std::function<void()>)> post,
                       std::function<void(session::Id, const json&)> push)
    : folder_(std::move(folder)), post_(std::move(post)), push_(std::move(push)) {
  std::error_code ec;
  fs::create_directories(folder_, ec);
  if (ec) throw std::runtime_error("cannot create the deliveries folder " + folder_.string() + ": " + ec.message());
  for (const auto& e : fs::directory_iterator(folder_)) {
    const std::string file = e.path().filename().string();
    if (!file.starts_with("delivery-") || e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    json state = json::parse(in, nullptr, false);
    if (state.is_discarded() || !state.contains("id") || !state["id"].is_number_integer()) {
      spdlog::warn("deliveries: {} is not a delivery's state; left alone", e.path().string());
      continue;
    }
    const int id = state["id"].get<int>();
    if (state["state"] == "queued" || state["state"] == "running") {
      state["state"] = "interrupted";
      state["error"] = "the daemon stopped before it finished";
      save(state);
    }
    deliveries_[id] = std::move(state);
    next_id_ = std::max(next_id_, id + 1);
  }
}

Deliveries::~Deliveries() { stop(); }

void Deliveries::stop() {
  {
    std::lock_guard lock(active_mutex_);
    stopping_ = true;
    for (const auto& [id, job] : active_) job->cancel = true;
  }
  worker_.stop();
}

void Deliveries::save(const json& state) const {
  // Written whole beside the old one and renamed over it: a crash never leaves half a file.
  const fs::path file = state_file(folder_, state["id"].get<int>());
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << state.dump(1) << "\n";
    if (!out.flush()) {
      spdlog::error("deliveries: cannot write {}", tmp.string());
      return;
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) spdlog::error("deliveries: cannot write {}: {}", file.string(), ec.message());
}

void Deliveries::update(int id, const std::function<void(json&)>& change, bool persist) {
  const auto it = deliveries_.find(id);
  if (it == deliveries_.end()) return;
  change(it->second);
  if (persist) save(it->second);
  push_(it->second["session_id"].get<session::Id>(),
        {{"op", "delivery"}, {"session_id", it->second["session_id"]}, {"delivery", it->second}});
}

Expected<json> Deliveries::start(const session::Store& store, session::Id session, const json& body) {
  std::string name;
  auto options = options_of(body, name);
  if (!options.ok()) return options.error();
  auto album = session::album_from_store(store, session);
  if (!album.ok()) return from_store(album.error());
  if (album->tracks.empty()) return make_error(ErrorCode::bad_request, "the album has no tracks to deliver");
  const int id = next_id_++;
  if (name.empty()) name = "session-" + std::to_string(session) + "-delivery-" + std::to_string(id);
  for (const auto& [other, state] : deliveries_) {
    if (state["name"] == name) return refused("out", "'" + name + "' is taken by delivery " + std::to_string(other));
  }
  if (fs::exists(folder_ / name)) return refused("out", "'" + name + "' exists in the deliveries folder");

  auto job = std::make_shared<Job>();
  job->id = id;
  job->session = session;
  job->release = deliver::release_of(*album, fs::path());
  job->options = std::move(*options);
  job->options.out = folder_ / name;
  job->options.cancel = &job->cancel;
  json formats = json::array(), progress = json::object();
  for (const auto f : job->options.formats) {
    formats.push_back(deliver::format_name(f));
    progress[deliver::format_name(f)] = 0.0;
  }
  json state{{"id", id},
             {"session_id", session},
             {"name", name},
             {"state", "queued"},
             {"formats", formats},
             {"options", body},
             {"progress", progress},
             {"current", ""},
             {"created_ms", now_ms()},
             {"finished_ms", nullptr},
             {"error", nullptr},
             {"failed_rules", json::array()},
             {"files", json::array()},
             {"reports", json::object()},
             {"rules", json::array()}};
  deliveries_[id] = state;
  save(state);
  {
    std::lock_guard lock(active_mutex_);
    active_[id] = job;
  }
  worker_.post([this, job] { run(job); });
  spdlog::info("delivery {} of session {} queued: {}", id, session, formats.dump());
  return state;
}

Expected<json> Deliveries::cancel(session::Id session, int id) {
  auto state = get(session, id);
  if (!state.ok()) return state.error();
  std::lock_guard lock(active_mutex_);
  const auto job = active_.find(id);
  if (job == active_.end()) {
    return make_error(ErrorCode::bad_request,
                      "delivery " + std::to_string(id) + " has ended (" + (*state)["state"].get<std::string>() + ")");
  }
  job->second->cancel = true;
  spdlog::info("delivery {}: cancel asked", id);
  return state;
}

void Deliveries::run(const std::shared_ptr<Job>& job) {
  const int id = job->id;
  const auto ended = [this, id] {
    std::lock_guard lock(active_mutex_);
    active_.erase(id);
  };
  const auto stopped = [this] {
    std::lock_guard lock(active_mutex_);
    return stopping_;
  };
  if (job->cancel) {
    ended();
    const json outcome{{"state", stopped() ? "interrupted" : "cancelled"}, {"error", "cancelled before it started"}};
    post_([this, id, outcome] { finish(id, outcome); });
    return;
  }
  post_([this, id] { update(id, [](json& s) { s["state"] = "running"; }, true); });
  job->options.on_progress = [this, id](const deliver::ProgressEvent& e) {
    post_([this, id, e] {
      update(id, [&](json& s) {
        s["progress"][deliver::format_name(e.format)] = e.fraction;
        s["current"] = e.what;
      }, false);
    });
  };
  json outcome;
  try {
    const deliver::DeliverResult r = deliver::deliver(job->release, job->options);
    json reports = json::object(), rules = json::array();
    for (const auto f : job->options.formats) {
      const std::string format = deliver::format_name(f);
      const fs::path report = job->options.out / format / "compliance.json";
      std::ifstream in(report);
      const json c = json::parse(in, nullptr, false);
      int failed = 0, warnings = 0, count = 0;
      if (!c.is_discarded()) {
        for (const auto& rule : c["rules"]) {
          ++count;
          failed += rule["pass"] == false ? 1 : 0;
          warnings += rule.value("warning", false) ? 1 : 0;
          json line = rule;
          line["format"] = format;
          rules.push_back(std::move(line));
        }
      }
      reports[format] = {{"passed", !c.is_discarded() && c.value("passed", false)},
                         {"rules", count},
                         {"failed", failed},
                         {"warnings", warnings},
                         {"html", format + "/compliance.html"},
                         {"json", format + "/compliance.json"}};
    }
    outcome = {{"state", "done"}, {"files", r.files}, {"reports", reports}, {"rules", rules}, {"audio_s", r.audio_s}};
  } catch (const deliver::ComplianceFailure& e) {
    json failed = json::array();
    for (const auto& rule : e.failed()) {
      failed.push_back({{"file", rule.file}, {"rule", rule.rule}, {"detail", rule.detail}});
    }
    outcome = {{"state", "failed"}, {"error", e.what()}, {"failed_rules", failed}};
  } catch (const deliver::DeliverError& e) {
    outcome = {{"state", !job->cancel ? "failed" : stopped() ? "interrupted" : "cancelled"}, {"error", e.what()}};
  } catch (const std::exception& e) {
    outcome = {{"state", "failed"}, {"error", std::string("internal error: ") + e.what()}};
  }
  ended();
  spdlog::info("delivery {}: {}{}", id, outcome["state"].get<std::string>(),
               outcome.contains("error") ? ": " + outcome["error"].get<std::string>() : "");
  post_([this, id, outcome] { finish(id, outcome); });
}

void Deliveries::finish(int id, const json& outcome) {
  update(id, [&](json& s) {
    for (const auto& [key, value] : outcome.items()) s[key] = value;
    if (s["state"] == "done") {
      for (auto& [format, fraction] : s["progress"].items()) fraction = 1.0;
    }
    s["current"] = "";
    s["finished_ms"] = now_ms();
  }, true);
}

json Deliveries::list(session::Id session) const {
  json out = json::array();
  for (const auto& [id, state] : deliveries_) {
    if (state["session_id"] == session) out.push_back(state);
  }
  return {{"deliveries", out}};
}

Expected<json> Deliveries::get(session::Id session, int id) const {
  const auto it = deliveries_.find(id);
  if (it == deliveries_.end() || it->second["session_id"] != session) {
    return make_error(ErrorCode::not_found, "no such delivery in this session");
  }
  return it->second;
}

void Deliveries::download(session::Id session, int id, const std::string& relative, control::HttpResponder respond) {
  auto state = get(session, id);
  if (!state.ok()) return respond(api_error(state.error()));
  const auto path = percent_decoded(relative);
  if (!path) return respond(api_error(make_error(ErrorCode::bad_request, "bad escape in the file's path")));
  // Only a file the delivery's manifest lists: no "..", no absolute path, no symbolic link
  // planted later can name anything else.
  const auto& files = (*state)["files"];
  if (std::find(files.begin(), files.end(), *path) == files.end()) {
    return respond(api_error(make_error(ErrorCode::not_found, "no such file in this delivery")));
  }
  const fs::path file = folder_ / (*state)["name"].get<std::string>() / *path;
  std::error_code ec;
  if (!fs::is_regular_file(fs::symlink_status(file, ec))) {
    return respond(api_error(make_error(ErrorCode::not_found, "the file is no longer there")));
  }
  control::HttpResponse r;
  r.file = file;
  r.content_type = content_type(file);
  std::string quoted = fs::path(*path).filename().string();
  std::replace(quoted.begin(), quoted.end(), '"', '\'');
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + quoted + "\"");
  respond(std::move(r));
}

void delivery_route(ApiContext& api, Deliveries& deliveries, const control::HttpRequest& req, session::Id session,
                    const std::vector<std::string>& parts, const control::HttpResponder& respond) {
  // parts: ID, "deliveries" [, N [, "files", PATH...]]
  if (parts.size() == 2 && req.method == "POST") {
    json body = json::parse(req.body, nullptr, false);
    if (req.body.size() > kApiBodyLimitBytes || body.is_discarded() || !body.is_object()) {
      return respond(api_error(make_error(ErrorCode::bad_request, "send a JSON object")));
    }
    auto started = deliveries.start(api.store, session, body);
    return respond(started.ok() ? api_json(*started, 202) : api_error(started.error()));
  }
  if (req.method != "GET" && req.method != "DELETE") {
    return respond(api_error(make_error(ErrorCode::not_found, "no such route")));
  }
  if (parts.size() == 2 && req.method == "GET") return respond(api_json(deliveries.list(session)));
  int id = 0;
  try {
    std::size_t used = 0;
    id = std::stoi(parts[2], &used);
    if (used != parts[2].size()) throw std::invalid_argument(parts[2]);
  } catch (const std::exception&) {
    return respond(api_error(make_error(ErrorCode::not_found, "no such delivery")));
  }
  if (parts.size() == 3 && req.method == "DELETE") {
    auto state = deliveries.cancel(session, id);
    return respond(state.ok() ? api_json(*state, 202) : api_error(state.error()));
  }
  if (req.method != "GET") return respond(api_error(make_error(ErrorCode::not_found, "no such route")));
  if (parts.size() == 3) {
    auto state = deliveries.get(session, id);
    return respond(state.ok() ? api_json(*state) : api_error(state.error()));
  }
  if (parts.size() >= 5 && parts[3] == "files") {
    std::string relative;
    for (std::size_t i = 4; i < parts.size(); ++i) relative += (i > 4 ? "/" : "") + parts[i];
    return deliveries.download(session, id, relative, respond);
  }
  respond(api_error(make_error(ErrorCode::not_found, "no such route")));
}

}  // namespace lacquer::daemon
