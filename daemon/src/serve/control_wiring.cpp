#include "serve/control_wiring.hpp"
#include "serve/reference_control.hpp"

#include <fcntl.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "serve/album_routes.hpp"
#include "serve/api_routes.hpp"
#include "serve/delivery_routes.hpp"
#include "serve/calibration_routes.hpp"
#include "serve/track_sources.hpp"
#include "serve/prometheus.hpp"
#include "lacquer/control/meter_poller.hpp"
#include "lacquer/control/osc_server.hpp"
#include "lacquer/control/ws_server.hpp"
#include "lacquer/session/store.hpp"

namespace lacquer::daemon {

namespace {

using control::ErrorCode;
using control::Expected;
using control::make_error;

/// The player as the hub drives it.
class PlayerTransport : public control::TransportPort {
 public:
  explicit PlayerTransport(Player& player) : player_(player) {}
  void play() override { player_.play(); }
  void stop() override { player_.stop(); }
  void locate(double seconds) override { player_.locate(seconds); }
  void select(std::int32_t track) override { player_.select(track); }
  void set_loop(bool loop) override {
    loop_ = loop;
    player_.set_loop(loop);
  }
  control::TransportState state() const override {
    PlayerStatus s = player_.status();
    const auto tracks = player_.tracks();
    // A track selected but not yet taken up by the audio thread is where the transport is, so
    // a snapshot stored right after the selection lands on that track.
    if (const std::int32_t pending = player_.pending_selection(); pending >= 0 && !tracks.empty()) {
      s.track = std::min(pending, static_cast<std::int32_t>(tracks.size()) - 1);
      s.position_s = 0.0;
      s.duration_s = tracks[static_cast<std::size_t>(s.track)].duration_s;
    }
    return control::TransportState{s.playing, s.track, static_cast<std::int32_t>(tracks.size()),
                                   s.position_s, s.duration_s, loop_};
  }

 private:
  Player& player_;
  bool loop_ = true;  // the player's default
};

/// Notes and snapshots in the session store, for the session loaded in the player.
class StoreSessions : public control::SessionPort {
 public:
  StoreSessions(session::Store& store, const control::TransportPort& transport)
      : store_(store), transport_(transport) {}

  /// Makes `id` the current session with these tracks in playlist order.
  void set_current(session::Id id, std::vector<session::Track> tracks) {
    current_ = id;
    tracks_ = std::move(tracks);
  }

  Expected<control::NoteRecord> add_note(const control::Principal& author,
                                         const control::NotePlace& place,
                                         std::string_view text) override {
    if (auto out_of_track = check_time(place)) return *out_of_track;
    session::NewNote n;
    n.session_id = place.session_id;
    n.track_id = place.track_id;
    n.time_s = place.time_s;
    n.compare_state = session::parse_compare_state(place.compare);
    n.snapshot_id = heard_snapshot(place);
    if (n.compare_state == session::CompareState::reference && heard_reference) {
      n.reference_id = heard_reference();
    }
    if (author.client_id > 0) n.author_client_id = author.client_id;
    n.author = author.name;
    n.text = std::string(text);
    auto note = store_.add_note(n);
    if (!note.ok()) return from_store(note.error());
    return record(*note);
  }

  Expected<std::vector<control::NoteRecord>> notes(std::int64_t session_id) override {
    auto notes = store_.notes(session::NoteFilter{.session_id = session_id});
    if (!notes.ok()) return from_store(notes.error());
    std::vector<control::NoteRecord> out;
    for (const auto& n : *notes) out.push_back(record(n));
    return out;
  }

  Expected<control::NoteRecord> resolve_note(std::int64_t note_id,
                                             const control::Principal& by) override {
    auto note = store_.resolve_note(note_id, by.name);
    if (!note.ok()) return from_store(note.error());
    return record(*note);
  }

  Expected<control::NotePlace> place(const control::TransportState& state) override {
    if (!current_) return make_error(ErrorCode::not_found, "no session is open");
    control::NotePlace p{*current_, std::nullopt, state.position_s, {}, {}};
    if (state.track >= 0 && static_cast<std::size_t>(state.track) < tracks_.size()) {
      p.track_id = tracks_[static_cast<std::size_t>(state.track)].id;
    }
    return p;
  }

  Expected<std::int64_t> store_snapshot(std::string_view name,
                                        const nlohmann::json& state) override {
    auto track = current_track();
    if (!track.ok()) return track.error();
    auto snapshot = store_.store_snapshot(*track, name, state);
    if (!snapshot.ok()) return from_store(snapshot.error());
    return std::int64_t{snapshot->version};
  }

  Expected<nlohmann::json> load_snapshot(std::string_view name) override {
    auto snapshot = newest_snapshot(name);
    if (!snapshot.ok()) return snapshot.error();
    return snapshot->state;
  }

  Expected<nlohmann::json> recall_snapshot(std::string_view name) override {
    auto snapshot = newest_snapshot(name);
    if (!snapshot.ok()) return snapshot.error();
    auto applied = store_.recall_snapshot(snapshot->id);
    if (!applied.ok()) return from_store(applied.error());
    return applied->state;
  }

  std::optional<session::Id> current() const { return current_; }
  /// The current session's tracks in playlist order.
  const std::vector<session::Track>& tracks() const { return tracks_; }

  /// The reference the monitors play, when one is ready.
  std::function<std::optional<session::Id>()> heard_reference;

 private:
  /// The stored snapshot a note's author heard: A or B as compared (the newest of that name,
  /// as the hub loads them), or for the chain the track's applied snapshot when the chain
  /// still holds its values; none for the bypass, a reference or an edited chain.
  std::optional<session::Id> heard_snapshot(const control::NotePlace& place) const {
    if (!place.track_id) return std::nullopt;
    if (place.compare == "A" || place.compare == "B") {
      auto snapshot = store_.snapshot_by_name(*place.track_id, place.compare);
      return snapshot.ok() ? std::optional(snapshot->id) : std::nullopt;
    }
    if (place.compare != "chain" || !place.chain_state || !place.chain_state->is_object()) {
      return std::nullopt;
    }
    auto track = store_.track(*place.track_id);
    if (!track.ok() || !track->snapshot_id) return std::nullopt;
    auto snapshots = store_.snapshots(*place.track_id);
    if (!snapshots.ok()) return std::nullopt;
    for (const auto& snapshot : *snapshots) {
      if (snapshot.id != *track->snapshot_id) continue;
      for (const auto& [path, value] : snapshot.state.items()) {
        const auto now = place.chain_state->find(path);
        if (now == place.chain_state->end() || *now != value) return std::nullopt;
      }
      return snapshot.id;
    }
    return std::nullopt;
  }

  /// A note lies within its track (its duration from the file's header, with half a second
  /// for a listener's clock), or within a day when it names no track or the file is gone:
  /// exports and markers never meet a time like 1e308.
  std::optional<control::Error> check_time(const control::NotePlace& place) const {
    constexpr double kSlackS = 0.5;
    constexpr double kMaxReleaseS = 24.0 * 3600.0;
    double limit_s = kMaxReleaseS;
    if (place.track_id) {
      auto track = store_.track(*place.track_id);
      if (!track.ok()) return from_store(track.error());
      if (track->session_id != place.session_id) {
        return make_error(ErrorCode::invalid_value, "that track belongs to another session");
      }
      SF_INFO info{};
      if (SNDFILE* file = sf_open(track->file_path.c_str(), SFM_READ, &info); file != nullptr) {
        sf_close(file);
        if (info.samplerate > 0) {
          limit_s = static_cast<double>(info.frames) / info.samplerate + kSlackS;
        }
      }
    }
    if (place.time_s > limit_s) {
      return make_error(ErrorCode::invalid_value,
                        "a note's time is within its track (0 to " +
                            std::to_string(static_cast<long long>(limit_s)) + " s)");
    }
    return std::nullopt;
  }

  Expected<session::Id> current_track() const {
    const auto index = static_cast<std::size_t>(std::max(0, transport_.state().track));
    if (!current_ || index >= tracks_.size()) {
      return make_error(ErrorCode::not_found, "no session with tracks is open");
    }
    return tracks_[index].id;
  }

  /// The newest snapshot of that name of the current track.
  Expected<session::Snapshot> newest_snapshot(std::string_view name) const {
    auto track = current_track();
    if (!track.ok()) return track.error();
    auto snapshot = store_.snapshot_by_name(*track, name);
    if (!snapshot.ok()) return from_store(snapshot.error());
    return *snapshot;
  }

  control::NoteRecord record(const session::Note& n) const {
    control::NoteRecord r;
    r.id = n.id;
    r.session_id = n.session_id;
    r.track_id = n.track_id;
    for (std::size_t i = 0; i < tracks_.size() && n.track_id; ++i) {
      if (tracks_[i].id == *n.track_id) r.track_index = static_cast<std::int32_t>(i);
    }
    r.time_s = n.time_s;
    r.author = n.author;
    r.text = n.text;
    if (n.compare_state) r.compare = std::string(session::to_string(*n.compare_state));
    r.snapshot_id = n.snapshot_id;
    r.reference_id = n.reference_id;
    r.resolved = n.status == session::NoteStatus::resolved;
    r.created_unix_ms = n.created_unix_ms;
    return r;
  }

  session::Store& store_;
  const control::TransportPort& transport_;
  std::optional<session::Id> current_;
  std::vector<session::Track> tracks_;  // the current session's, in playlist order
};

/// Each track plays with its own chain. When the transport reaches another track of the open
/// session (selected, or played into), the chain the engineer left that track with is
/// recalled: as they left it during this run, else the track's applied snapshot in the store.
/// A track with neither keeps the chain as it is.
class TrackChains : public control::MeterSink {
 public:
  TrackChains(session::Store& store, const StoreSessions& sessions, control::ControlHub& hub)
      : store_(store), sessions_(sessions), hub_(hub) {}

  void on_meters(const control::MeterFrame&, control::Clock::time_point) override {}

  void on_transport(const control::TransportState& state, control::Clock::time_point) override {
    const auto session = sessions_.current();
    const auto& tracks = sessions_.tracks();
    if (!session || state.track < 0 || static_cast<std::size_t>(state.track) >= tracks.size()) return;
    reach(tracks[static_cast<std::size_t>(state.track)].id);
  }

  /// A session just loaded into the player starts on its first track: its chain is recalled
  /// now, before any command on the new session, not when the next transport report arrives.
  void session_opened(const std::vector<session::Track>& tracks) {
    if (!tracks.empty()) reach(tracks.front().id);
  }

 private:
  void reach(session::Id track) {
    if (track == playing_) return;
    if (playing_) left_[*playing_] = hub_.chain_state();
    playing_ = track;
    if (const auto it = left_.find(track); it != left_.end()) {
      (void)hub_.apply_state(it->second, control::Origin::internal);
      return;
    }
    auto stored = store_.track(track);
    if (!stored.ok() || !stored->snapshot_id) return;
    auto snapshot = store_.snapshot(*stored->snapshot_id);
    if (snapshot.ok()) (void)hub_.apply_state(snapshot->state, control::Origin::internal);
  }

  session::Store& store_;
  const StoreSessions& sessions_;
  control::ControlHub& hub_;
  std::optional<session::Id> playing_;
  std::map<session::Id, nlohmann::json> left_;  // chains as the engineer left their tracks
};

/// Everything the control layer adds to the daemon, destroyed after the executor stops.
struct ControlWiring {
  explicit ControlWiring(DaemonContext& ctx)
      : store(session::Store::open(session::database_path(ctx.config.db_path))),
        auth(settle_engineer_token(ctx.config, *store)),
        hub(control::CommandTable::instance(), ctx.engine.params()),
        transport(ctx.player),
        sessions(*store, transport) {}

  /// The configured token, or none when an engineer token is already stored hashed, or a
  /// new one stored and handed over once (see hand_over_token).
  static std::string settle_engineer_token(const Config& config, session::Store& store) {
    if (!config.engineer_token.empty()) return config.engineer_token;
    auto clients = store.clients();
    if (clients.ok()) {
      for (const auto& c : *clients) {
        if (c.role == session::Role::engineer && !c.revoked) return {};
      }
    }
    auto created = store.create_client("engineer", session::Role::engineer);
    if (!created.ok()) {
      throw std::runtime_error("cannot create the engineer token: " + created.error().message);
    }
    hand_over_token(config, created->token);
    return {};
  }

  /// A new engineer token goes to a file only its owner may read, beside the database;
  /// a terminal also shows it. Under systemd stdout is the journal, which many may read,
  /// so only the file's path is printed there.
  static void hand_over_token(const Config& config, const std::string& token) {
    const std::string path = config.db_path + ".engineer-token";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    const std::string line = token + "\n";
    const bool written = fd >= 0 && ::fchmod(fd, 0600) == 0 &&
                         ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    if (fd >= 0) ::close(fd);
    if (!written) throw std::runtime_error("cannot write the engineer token to " + path);
    if (::isatty(STDOUT_FILENO) != 0) {
      std::printf("Engineer token (also in %s): %s\n", path.c_str(), token.c_str());
    } else {
      std::printf("Engineer token written to %s (readable by its owner only)\n", path.c_str());
    }
    std::fflush(stdout);
  }

  std::unique_ptr<session::Store> store;
  control::Authenticator auth;
  control::ControlHub hub;
  PlayerTransport transport;
  StoreSessions sessions;
  std::unique_ptr<control::WsServer> ws;
  std::unique_ptr<control::OscServer> osc;
  std::unique_ptr<control::MeterPoller> poller;
  std::unique_ptr<TrackChains> track_chains;
  std::unique_ptr<ApiContext> api;
  std::unique_ptr<TrackSources> track_sources;
  std::unique_ptr<TrackAnalysis> analysis;
  std::unique_ptr<Deliveries> deliveries;
  std::unique_ptr<ReferenceControl> references;
  std::unique_ptr<CalibrationService> calibration;
  std::unique_ptr<boost::asio::steady_timer> lapse_timer;
};

/// How often connections are checked against revocations made elsewhere (`lacquer
/// revoke`) and expiries; a revocation through the API closes them at once.
constexpr auto kLapseCheckPeriod = std::chrono::seconds(2);

/// Closes the WebSockets and /listen streams of clients revoked, expired or deleted since
/// they authenticated.
void close_lapsed_clients(DaemonContext& ctx, ControlWiring& c) {
  std::map<session::Id, bool> lapsed;  // one store read per client, not per connection
  const std::int64_t now = session::now_unix_ms();
  const auto is_lapsed = [&](const control::Principal& p) {
    if (p.client_id <= 0) return false;  // the configured engineer token
    auto [it, fresh] = lapsed.try_emplace(p.client_id, false);
    if (fresh) {
      auto client = c.store->client(p.client_id);
      it->second = client.ok() ? client->revoked ||
                                     (client->expires_unix_ms && *client->expires_unix_ms <= now)
                               : client.error().code == session::ErrorCode::not_found;
    }
    return it->second;
  };
  c.ws->close_if(is_lapsed);
  ctx.listen->close_if(is_lapsed);
}

/// A new order of the open session's album reaches the player at once (the track playing goes
/// on where it is). Tracks added or removed are loaded when the session is opened again.
void follow_album_order(DaemonContext& ctx, ControlWiring& c, session::Id id) {
  if (c.sessions.current() != id) return;
  auto now = c.store->tracks(id);
  if (!now.ok()) return;
  const auto& loaded = c.sessions.tracks();
  if (now->size() != loaded.size()) return;
  std::vector<std::size_t> order;
  for (const auto& t : *now) {
    const auto it = std::find_if(loaded.begin(), loaded.end(), [&t](const auto& l) { return l.id == t.id; });
    if (it == loaded.end()) return;
    order.push_back(static_cast<std::size_t>(it - loaded.begin()));
  }
  ctx.player.reorder(order);
  c.sessions.set_current(id, std::move(*now));
}

void check_lapsed_clients(DaemonContext& ctx, ControlWiring& c) {
  c.lapse_timer->expires_after(kLapseCheckPeriod);
  c.lapse_timer->async_wait([&ctx, &c](const boost::system::error_code& ec) {
    if (ec) return;
    close_lapsed_clients(ctx, c);
    check_lapsed_clients(ctx, c);
  });
}

/// Folders tracks may come from: the configured ones, else the database's own folder.
std::vector<std::filesystem::path> media_folders(const Config& config) {
  std::vector<std::filesystem::path> folders(config.media_folders.begin(),
                                             config.media_folders.end());
  if (folders.empty()) {
    folders.push_back(std::filesystem::absolute(config.db_path).parent_path());
  }
  return folders;
}

constexpr double kDemoSeconds = 32.0;
constexpr const char* kDemoTitle = "Demo";
constexpr const char* kDemoArtist = "Lacquer";

/// Writes the synthesized demo programme beside the database (once per sample rate).
std::filesystem::path write_demo_file(const Config& config, double rate) {
  const std::filesystem::path path =
      config.db_path + ".demo-" + std::to_string(static_cast<int>(rate)) + ".wav";
  if (std::filesystem::exists(path)) return path;
  const PlayerTrack track = make_demo_track(rate, kDemoSeconds);
  SF_INFO info{};
  info.samplerate = static_cast<int>(rate);
  info.channels = 2;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  const std::string partial = path.string() + ".partial";
  SNDFILE* file = sf_open(partial.c_str(), SFM_WRITE, &info);
  if (file == nullptr) throw std::runtime_error("cannot write " + partial + ": " + sf_strerror(nullptr));
  std::vector<float> interleaved(2 * track.left.size());
  for (std::size_t i = 0; i < track.left.size(); ++i) {
    interleaved[2 * i] = track.left[i];
    interleaved[2 * i + 1] = track.right[i];
  }
  const auto frames = static_cast<sf_count_t>(track.left.size());
  const bool complete = sf_writef_float(file, interleaved.data(), frames) == frames;
  sf_close(file);
  if (!complete) throw std::runtime_error("cannot write " + partial);
  std::filesystem::rename(partial, path);
  return path;
}

/// `--demo`: a session "Demo" holding the synthesized programme, opened and playing in a
/// loop, so notes, invites and listening work as in a real session.
void open_demo_session(DaemonContext& ctx, ControlWiring& c) {
  const double rate = ctx.jack->sample_rate();
  const std::filesystem::path file = write_demo_file(ctx.config, rate);
  std::optional<session::Id> session_id;
  std::optional<session::Id> track_id;
  if (auto sessions = c.store->sessions(); sessions.ok()) {
    for (const auto& s : *sessions) {
      if (s.title == kDemoTitle && s.artist == kDemoArtist) session_id = s.id;
    }
  }
  if (!session_id) {
    auto created = c.store->create_session({kDemoTitle, kDemoArtist, "", ""});
    if (!created.ok()) throw std::runtime_error("demo session: " + created.error().message);
    session_id = created->id;
  }
  if (auto tracks = c.store->tracks(*session_id); tracks.ok()) {
    for (const auto& t : *tracks) {
      if (t.file_path == file.string()) track_id = t.id;
    }
  }
  if (!track_id) {
    session::NewTrack track;
    track.session_id = *session_id;
    track.file_path = file.string();
    track.title = "Demo (synthesized)";
    auto added = c.store->add_track(track);
    if (!added.ok()) throw std::runtime_error("demo track: " + added.error().message);
  }
  auto opened = c.api->open_session(*session_id);
  if (!opened.ok()) throw std::runtime_error("demo session: " + opened.error().message);
  ctx.player.set_loop(true);
  ctx.player.play();
  spdlog::info("demo: session {} playing {:.0f} s of synthesized programme in a loop",
               *session_id, kDemoSeconds);
}


}  // namespace

void attach_control(DaemonContext& ctx) {
  auto w = std::make_shared<ControlWiring>(ctx);
  ControlWiring* c = w.get();

  c->auth.set_lookup([c](std::string_view token) -> Expected<control::Principal> {
    auto client = c->store->authenticate(token);
    if (!client.ok()) return from_store(client.error());
    return control::Principal{client->role == session::Role::engineer ? control::Role::engineer
                                                                      : control::Role::client,
                              client->id, client->name, client->sessions};
  });
  c->hub.set_transport(&c->transport);
  c->hub.set_sessions(&c->sessions);
  c->references = std::make_unique<ReferenceControl>(
      *c->store, ctx.reference, [&ctx] { return static_cast<double>(ctx.jack->sample_rate()); },
      [&ctx](std::function<void()> f) { boost::asio::post(ctx.io, std::move(f)); },
      [c] { c->hub.announce("/reference/select"); });
  c->hub.set_references(c->references.get());
  c->sessions.heard_reference = [c] { return c->references->heard(); };
  c->hub.set_engine(&ctx.engine);

  c->ws = std::make_unique<control::WsServer>(
      ctx.io, c->hub, c->auth,
      control::WsServer::Options{.origins = ctx.config.ws_origins,
                                 .auth_deadline = auth_deadline(ctx.config),
                                 .ops = album_ws_ops([c]() -> ApiContext& { return *c->api; })});
  ctx.http->upgrade_route("/ws", [c](boost::asio::ip::tcp::socket socket, auto request,
                                     auto ticket) {
    c->ws->handle_upgrade(std::move(socket), std::move(request), std::move(ticket));
  });
  c->hub.add_listener(c->ws.get());

  control::OscServer::Options osc_options;
  osc_options.port = ctx.config.osc_port;
  osc_options.allow = ctx.config.osc_allow;
  osc_options.tcp_secret = ctx.config.osc_tcp_secret;
  for (const auto& [host, port] : ctx.config.osc_surfaces) {
    osc_options.surfaces.push_back({host, port, osc_options.default_rate_hz});
  }
  c->osc = std::make_unique<control::OscServer>(ctx.io, c->hub, osc_options);
  c->hub.add_listener(c->osc.get());

  c->poller = std::make_unique<control::MeterPoller>(
      ctx.io, [&ctx](dsp::MeterSnapshot& m) { return ctx.engine.read_meters(m); }, c->hub);
  c->poller->add_sink(c->ws.get());
  c->poller->add_sink(c->osc.get());
  c->track_chains = std::make_unique<TrackChains>(*c->store, c->sessions, c->hub);
  c->poller->add_sink(c->track_chains.get());

  // Listeners on /listen authenticate with the same tokens.
  ctx.listen->set_authenticator(
      [c](const std::string& token, const std::string& source) -> std::optional<control::Principal> {
        auto who = c->auth.authenticate(token, source, control::Clock::now());
        if (!who.ok()) return std::nullopt;
        return *who;
      });

  c->api = std::make_unique<ApiContext>(ApiContext{
      *c->store, c->hub, c->auth,
      [c, &ctx](session::Id id) -> Expected<int> {
        auto tracks = c->store->tracks(id);
        if (!tracks.ok()) return from_store(tracks.error());
        const double rate = ctx.jack->sample_rate();
        std::vector<PlayerTrack> decoded;
        for (const auto& t : *tracks) {
          try {
            decoded.push_back(decode_track(t.file_path, rate));
          } catch (const std::exception& e) {
            return make_error(ErrorCode::invalid_value, e.what());
          }
          decoded.back().title = t.title;
        }
        ctx.player.load(std::move(decoded), rate);
        c->sessions.set_current(id, *tracks);
        c->track_chains->session_opened(*tracks);
        c->references->open_session(id);
        for (const auto& t : *tracks) c->analysis->ensure(t);
        ctx.listen->set_open_session(id);
        return static_cast<int>(tracks->size());
      },
      public_url(ctx)});
  c->track_sources = std::make_unique<TrackSources>(media_folders(ctx.config));
  c->api->track_sources = c->track_sources.get();
  c->analysis = std::make_unique<TrackAnalysis>(
      *c->store, [&ctx](std::function<void()> f) { boost::asio::post(ctx.io, std::move(f)); },
      [c](session::Id id, const nlohmann::json& message) {
        c->ws->push_session(id, control::kTopicAnalysis, message);
      });
  c->api->analysis = c->analysis.get();
  c->api->references = c->references.get();
  c->api->invite_lifetime = std::chrono::milliseconds(
      static_cast<std::int64_t>(ctx.config.invite_days * 86'400'000.0));
  c->api->clients_changed = [c, &ctx] { close_lapsed_clients(ctx, *c); };
  // On the params topic, which only engineers may follow: their consoles edit the album.
  c->api->album_changed = [c, &ctx](session::Id id) {
    follow_album_order(ctx, *c, id);
    c->ws->push_session(id, control::kTopicParams, {{"op", "album"}, {"session_id", id}});
  };
  c->lapse_timer = std::make_unique<boost::asio::steady_timer>(ctx.io);
  check_lapsed_clients(ctx, *c);
  c->api->on_executor = [&ctx](std::function<void()> f) { boost::asio::post(ctx.io, std::move(f)); };
  c->deliveries = std::make_unique<Deliveries>(
      ctx.config.deliveries_folder.empty() ? ctx.config.db_path + ".deliveries" : ctx.config.deliveries_folder,
      [&ctx](std::function<void()> f) { boost::asio::post(ctx.io, std::move(f)); },
      // On the params topic, as the album: only engineers follow it.
      [c](session::Id id, const nlohmann::json& message) { c->ws->push_session(id, control::kTopicParams, message); });
  c->api->deliveries = c->deliveries.get();
  spdlog::info("deliveries land in {}", c->deliveries->folder().string());
  for (const auto& folder : c->track_sources->folders()) {
    spdlog::info("tracks may come from {}", folder.string());
  }
  add_api_routes(*ctx.http, *c->api);
  c->calibration = std::make_unique<CalibrationService>(
      *ctx.jack, *c->store, c->hub, ctx.config.calibration_microphone, ctx.config.jack_server,
      [&ctx](std::function<void()> f) { boost::asio::post(ctx.io, std::move(f)); });
  c->hub.set_calibration(c->calibration.get());
  add_calibration_routes(*ctx.http, *c->api, *c->calibration);

  if (ctx.config.demo) ctx.on_started.push_back([c, &ctx] { open_demo_session(ctx, *c); });

  c->osc->start();
  c->poller->start();
  spdlog::info("OSC on UDP and TCP port {}", c->osc->port());

  ctx.on_stop.push_back([w] {
    w->references->stop();
    w->calibration->stop();
    w->lapse_timer->cancel();
    w->track_sources->stop();
    w->analysis->stop();
    w->deliveries->stop();
    w->poller->stop();
    w->osc->stop();
    w->ws->stop();
  });
  ctx.metrics.push_back([c] {
    return prometheus_metric("ws_clients", "gauge", "open WebSocket control connections",
                  static_cast<double>(c->ws->clients())) +
           prometheus_metric("ws_dropped_slow_total", "counter", "WebSocket clients dropped for a full outbox",
                  static_cast<double>(c->ws->dropped_slow())) +
           prometheus_metric("osc_subscribers", "gauge", "OSC surfaces holding a lease",
                  static_cast<double>(c->osc->subscribers())) +
           prometheus_metric("osc_refused_total", "counter", "OSC packets from outside the allow-list",
                  static_cast<double>(c->osc->refused_source())) +
           prometheus_metric("osc_rate_limited_total", "counter", "OSC messages over the per-source limit",
                  static_cast<double>(c->osc->rate_limited())) +
           prometheus_metric("osc_malformed_total", "counter", "malformed OSC packets",
                  static_cast<double>(c->osc->malformed())) +
           prometheus_metric("commands_applied_total", "counter", "commands applied or answered",
                  static_cast<double>(c->hub.applied())) +
           prometheus_metric("commands_refused_total", "counter", "commands refused",
                  static_cast<double>(c->hub.refused())) +
           prometheus_metric("auth_failures_total", "counter", "failed token checks",
                  static_cast<double>(c->auth.failures()));
  });
}

}  // namespace lacquer::daemon
