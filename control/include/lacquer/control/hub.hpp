#pragma once
// The control hub: owner of the authoritative control state, on the control executor. Every
// transport turns what it receives into a Command and calls execute(); the hub checks the
// role, validates and clamps against the dispatch table, applies (ParamStore::set for the
// chain and monitor, the transport and session ports for the rest) and tells every listener
// the applied value. Not thread-safe: call it from the executor's one thread only.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "lacquer/control/auth.hpp"
#include "lacquer/control/command.hpp"
#include "lacquer/control/dispatch.hpp"
#include "lacquer/dsp/engine.hpp"
#include "lacquer/dsp/param_store.hpp"

namespace lacquer::control {

/// What the transport looks like to control.
struct TransportState {
  bool playing = false;
  std::int32_t track = 0;        ///< 0-based index into the playlist
  std::int32_t track_count = 0;
  double position_s = 0.0;       ///< within the current track
  double duration_s = 0.0;       ///< of the current track
  bool loop = true;
};

/// The player as control drives it; the daemon implements it over its player.
class TransportPort {
 public:
  virtual ~TransportPort() = default;
  virtual void play() = 0;
  virtual void stop() = 0;
  /// Seconds within the current track, already clamped by the hub.
  virtual void locate(double seconds) = 0;
  /// A 0-based index, already clamped by the hub; goes to the track's start.
  virtual void select(std::int32_t track) = 0;
  virtual void set_loop(bool loop) = 0;
  virtual TransportState state() const = 0;
};

/// Where a note is pinned.
struct NotePlace {
  std::int64_t session_id = 0;
  std::optional<std::int64_t> track_id;  ///< empty: a note on the whole release
  double time_s = 0.0;
  /// What the author heard: chain, bypass, A, B or reference. Empty: what the room's
  /// monitors play (`/monitor/compare`), filled in by the hub.
  std::string compare;
  /// With compare "chain": the chain's parameters when the note was made (chain_state()),
  /// filled in by the hub, so the store can tell whether a stored snapshot was heard.
  std::shared_ptr<const nlohmann::json> chain_state;
};

/// A stored note as control shows it.
struct NoteRecord {
  std::int64_t id = 0;
  std::int64_t session_id = 0;
  std::optional<std::int64_t> track_id;
  std::optional<std::int32_t> track_index;  ///< position in the playlist, when loaded there
  double time_s = 0.0;
  std::string author;
  std::string text;
  std::string compare;  ///< chain, bypass, A, B or reference; empty when not recorded
  std::optional<std::int64_t> snapshot_id;   ///< the stored snapshot heard, when it was one
  std::optional<std::int64_t> reference_id;  ///< the reference track heard, when it was one
  bool resolved = false;
  std::int64_t created_unix_ms = 0;
};

/// Notes and snapshots as control needs them; the daemon implements it over the session
/// store. Every call runs on the executor; a write returns only once it is durable.
class SessionPort {
 public:
  virtual ~SessionPort() = default;
  virtual Expected<NoteRecord> add_note(const Principal& author, const NotePlace& place,
                                        std::string_view text) = 0;
  /// A session's notes in track and time order.
  virtual Expected<std::vector<NoteRecord>> notes(std::int64_t session_id) = 0;
  virtual Expected<NoteRecord> resolve_note(std::int64_t note_id, const Principal& by) = 0;
  /// The session and track the transport is playing, at the state's position; not_found
  /// when no session is loaded.
  virtual Expected<NotePlace> place(const TransportState& state) = 0;
  /// Stores `state` (paths to values) as a named snapshot of the current track; returns
  /// its version.
  virtual Expected<std::int64_t> store_snapshot(std::string_view name,
                                                const nlohmann::json& state) = 0;
  /// The newest snapshot of that name of the current track, only read: comparing A and B
  /// leaves the snapshot the track has applied as it is.
  virtual Expected<nlohmann::json> load_snapshot(std::string_view name) = 0;
  /// The same, made the track's applied snapshot: the engineer's recall puts it on the
  /// chain, so it is what the track is now mastered with.
  virtual Expected<nlohmann::json> recall_snapshot(std::string_view name) = 0;
};

/// The reference tracks of the open session, as control needs them; the daemon loads the
/// selected one for the monitors in the background. Runs on the executor.
class ReferencePort {
 public:
  virtual ~ReferencePort() = default;
  /// Selects the open session's reference at 1-based `position`, 0 for none; refused when
  /// the session has no such reference.
  virtual Expected<int> select(int position) = 0;
  /// The position selected (0: none).
  virtual int selected() const = 0;
  /// Whether the selected reference is decoded and measured, ready to be heard.
  virtual bool ready() const = 0;
};

/// Room calibration as control drives it; the daemon measures on a worker of its own and
/// announces /calibration/status as it goes. Runs on the executor.
class CalibrationPort {
 public:
  virtual ~CalibrationPort() = default;
  /// Starts measuring `speaker` ("SET/SPEAKER"), through its correction when `verify`.
  /// Returns the status it starts with, or why not: an unknown speaker, a measurement
  /// running, no microphone configured, no JACK.
  virtual Expected<std::string> measure(std::string_view speaker, bool verify) = 0;
  /// idle, measuring or verifying SET/SPEAKER, measured or verified SET/SPEAKER, or
  /// failed SET/SPEAKER: why.
  virtual std::string status() const = 0;
};

/// An applied value, as every listener hears it.
struct Change {
  const Entry* entry = nullptr;
  Value value;                 ///< wire form (see CommandTable::wire_value)
  std::optional<double> norm;  ///< 0..1 for entries accepting /norm
};

/// A transport that fans changes out to its subscribers.
class HubListener {
 public:
  virtual ~HubListener() = default;
  virtual void on_change(const Change& change) = 0;
  virtual void on_note(const NoteRecord& note) = 0;
};

class ControlHub {
 public:
  ControlHub(const CommandTable& table, dsp::ParamStore& params);
  ControlHub(const ControlHub&) = delete;
  ControlHub& operator=(const ControlHub&) = delete;

  const CommandTable& table() const noexcept { return table_; }

  /// Ports may be absent (tests, a daemon without a store): their paths answer unavailable.
  void set_transport(TransportPort* transport) noexcept { transport_ = transport; }
  void set_sessions(SessionPort* sessions) noexcept { sessions_ = sessions; }
  void set_references(ReferencePort* references) noexcept { references_ = references; }
  void set_calibration(CalibrationPort* calibration) noexcept { calibration_ = calibration; }
  /// The engine. Its snapshot chains play snapshots A and B: setting /monitor/compare to A
  /// or B loads the current track's snapshots named A and B into them (and refuses the
  /// change when either is missing). Its meters start a new measurement on /meter/reset
  /// and whenever the transport locates or changes track.
  void set_engine(dsp::Engine* engine) noexcept { engine_ = engine; }
  TransportPort* transport() const noexcept { return transport_; }

  void add_listener(HubListener* listener);
  void remove_listener(HubListener* listener);

  /// Reads or changes a path. No value on a readable path is a query, answered to the
  /// caller only; otherwise the applied value is returned and sent to every listener.
  /// `who` names a note's author; without it the author is the role's name.
  Expected<Change> execute(const Command& command, const Principal* who = nullptr);

  /// A note at an explicit place (the WebSocket `note` op). Clients only on their sessions.
  Expected<NoteRecord> add_note(const Principal& who, const NotePlace& place,
                                std::string_view text);
  /// A session's notes, for those who may access it.
  Expected<std::vector<NoteRecord>> notes(const Principal& who, std::int64_t session_id);
  /// Resolves a note by id (engineers only).
  Expected<NoteRecord> resolve_note(const Principal& who, std::int64_t note_id);

  /// The current value of every readable path the role may read (transport paths only
  /// with a transport attached), in table order.
  std::vector<Change> current(Role role) const;
  /// current() as JSON: {"/chain/eq/1/gain": 0.0, ...}.
  nlohmann::json state(Role role) const;
  /// The chain's parameters only, the shape of a stored snapshot and of a chain file.
  nlohmann::json chain_state() const;
  /// Applies a snapshot-shaped object (engineer role); unknown paths are skipped. Returns
  /// how many paths were applied.
  Expected<std::size_t> apply_state(const nlohmann::json& state, Origin origin);

  /// Sends the current value of a readable path to every listener (a change made outside
  /// the hub, e.g. a reference that finished loading).
  void announce(std::string_view path);

  /// The transport state, when a transport is attached.
  std::optional<TransportState> transport_state() const;

  /// Commands applied and refused so far.
  std::uint64_t applied() const noexcept { return applied_; }
  std::uint64_t refused() const noexcept { return refused_; }

 private:
  Expected<Change> query(const Target& target);
  std::optional<Change> transport_value(const Entry& entry, const TransportState& state) const;
  Expected<Change> apply(const Target& target, const Value& value, const Command& command,
                         const Principal& who);
  Expected<Change> apply_transport(const Entry& entry, const Value& value);
  Expected<Change> select_reference(const Entry& entry, const Value& value);
  Expected<Change> start_calibration(const Entry& entry, const Value& value);
  /// Enables the EQ band whose gain, frequency or type `entry` is, when it is disabled.
  void enable_eq_band_of(const Entry& entry);
  Expected<Change> walk_notes(int direction);
  Expected<Change> resolve_current_note(const Principal& who);
  Change note_current_change() const;
  void restart_meters();
  void broadcast(const Change& change);
  void broadcast_note(const NoteRecord& note);
  Change param_change(const Entry& entry, double value) const;
  bool comparing_snapshots(double compare) const noexcept;
  Expected<std::size_t> load_snapshot_into(int which);
  Expected<std::size_t> start_snapshot_compare();

  const CommandTable& table_;
  dsp::ParamStore& params_;
  TransportPort* transport_ = nullptr;
  SessionPort* sessions_ = nullptr;
  ReferencePort* references_ = nullptr;
  CalibrationPort* calibration_ = nullptr;
  dsp::Engine* engine_ = nullptr;
  const Entry* compare_entry_;  // /monitor/compare
  std::vector<HubListener*> listeners_;
  std::optional<NoteRecord> current_note_;  // where /note/next and /note/prev left off
  bool applying_state_ = false;             // apply_state() is setting a whole chain
  std::uint64_t applied_ = 0;
  std::uint64_t refused_ = 0;
};

/// JSON for a wire value (null for no value) and back. Numbers become int64 when whole
/// and written without a fraction, else double; arrays and objects are refused.
nlohmann::json value_to_json(const Value& value);
Expected<Value> value_from_json(const nlohmann::json& json);

}  // namespace lacquer::control
