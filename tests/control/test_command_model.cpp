// The command model: table, validation, clamping, /norm, roles, transport, notes, snapshots.
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fakes.hpp"
#include "lacquer/control/auth.hpp"
#include "lacquer/control/dispatch.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/control/rate_limit.hpp"
#include "lacquer/dsp/engine.hpp"
#include "lacquer/dsp/param_store.hpp"

namespace lacquer::control {
namespace {

using testing::FakeSessions;
using testing::FakeTransport;
using testing::RecordingListener;

const dsp::Schema& schema() { return dsp::Schema::instance(); }

struct HubFixture : ::testing::Test {
  dsp::ParamStore params{schema()};
  const CommandTable& table = CommandTable::instance();
  ControlHub hub{table, params};
  FakeTransport transport;
  FakeSessions sessions;
  RecordingListener listener;

  HubFixture() {
    hub.set_transport(&transport);
    hub.set_sessions(&sessions);
    hub.add_listener(&listener);
  }

  Expected<Change> set(const std::string& path, Value v, Role role = Role::engineer) {
    return hub.execute(Command{path, std::move(v), Origin::internal, role});
  }
  double stored(const std::string& path) const { return params.get(schema().id(path)); }
};

TEST(CommandTable, HoldsEverySchemaPathAndTheActionPaths) {
  const CommandTable& t = CommandTable::instance();
  for (const auto& spec : schema().params()) {
    const Entry* e = t.find(spec.path);
    ASSERT_NE(e, nullptr) << spec.path;
    EXPECT_EQ(e->param, schema().find(spec.path));
    EXPECT_EQ(e->min_value, spec.min_value);
    EXPECT_EQ(e->max_value, spec.max_value);
    EXPECT_EQ(e->unit, spec.unit);
    EXPECT_EQ(e->write_role, Role::engineer);
    EXPECT_FALSE(e->description.empty());
  }
  for (const char* path : {"/transport/play", "/transport/stop", "/transport/locate",
                           "/transport/track", "/transport/loop", "/snapshot/store",
                           "/snapshot/recall", "/note/add", "/note/next", "/note/prev",
                           "/note/resolve", "/meter/reset", "/reference/select", "/monitor/level",
                           "/monitor/compare", "/calibration/measure", "/calibration/verify",
                           "/calibration/status"}) {
    EXPECT_NE(t.find(path), nullptr) << path;
  }
  EXPECT_EQ(t.entries().size(), schema().size() + 19);
}

TEST(CommandTable, NormPathsResolveForParametersOnly) {
  const CommandTable& t = CommandTable::instance();
  auto r = t.resolve("/chain/eq/3/gain/norm");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->norm);
  EXPECT_EQ(r->entry->path, "/chain/eq/3/gain");
  EXPECT_FALSE(t.resolve("/transport/locate/norm").ok());
  EXPECT_FALSE(t.resolve("/norm").ok());
  const auto bad = t.resolve("/chain/eq/99/gain");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::unknown_path);
}

TEST_F(HubFixture, RealValuesAreClampedAndEchoedToEveryListener) {
  auto r = set("/chain/input/trim", 100.0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<double>(r->value), 24.0);
  EXPECT_EQ(stored("/chain/input/trim"), 24.0);
  ASSERT_EQ(listener.changes.size(), 1U);
  EXPECT_EQ(listener.changes[0].entry->path, "/chain/input/trim");
  EXPECT_EQ(std::get<double>(listener.changes[0].value), 24.0);
  ASSERT_TRUE(listener.changes[0].norm);
  EXPECT_DOUBLE_EQ(*listener.changes[0].norm, 1.0);

  ASSERT_TRUE(set("/chain/input/trim", std::int64_t{-3}).ok());
  EXPECT_EQ(stored("/chain/input/trim"), -3.0);
  // Linear taper: -3 dB on -24..24 sits at (−3+24)/48.
  EXPECT_DOUBLE_EQ(*listener.changes.back().norm, 21.0 / 48.0);
}

TEST_F(HubFixture, MovingADisabledEqBandEnablesItAndSaysSo) {
  ASSERT_EQ(stored("/chain/eq/3/enabled"), 0.0);  // bands start disabled
  ASSERT_TRUE(set("/chain/eq/3/gain/norm", 0.75).ok());
  EXPECT_EQ(stored("/chain/eq/3/enabled"), 1.0);
  ASSERT_EQ(listener.changes.size(), 2U);
  EXPECT_EQ(listener.changes[1].entry->path, "/chain/eq/3/enabled");
  EXPECT_EQ(std::get<bool>(listener.changes[1].value), true);
  // Once enabled, a move is echoed alone; Q and slope do not switch a band in.
  ASSERT_TRUE(set("/chain/eq/3/freq", 2000.0).ok());
  EXPECT_EQ(listener.changes.size(), 3U);
  ASSERT_TRUE(set("/chain/eq/3/enabled", false).ok());
  ASSERT_TRUE(set("/chain/eq/3/q", 2.0).ok());
  EXPECT_EQ(stored("/chain/eq/3/enabled"), 0.0);
  ASSERT_TRUE(set("/chain/eq/3/type", "high_shelf").ok());
  EXPECT_EQ(stored("/chain/eq/3/enabled"), 1.0);
  // A recalled state sets `enabled` itself: a stored disabled band stays disabled.
  ASSERT_TRUE(hub.apply_state({{"/chain/eq/3/enabled", false}, {"/chain/eq/3/gain", 4.0}},
                              Origin::internal).ok());
  EXPECT_EQ(stored("/chain/eq/3/enabled"), 0.0);
  EXPECT_EQ(stored("/chain/eq/3/gain"), 4.0);
}

TEST_F(HubFixture, NormMapsFrequenciesLogarithmicallyAndGainsLinearly) {
  // Log taper: the middle of 10 Hz..22 kHz is the geometric mean.
  auto f = set("/chain/eq/2/freq/norm", 0.5);
  ASSERT_TRUE(f.ok());
  EXPECT_NEAR(std::get<double>(f->value), std::sqrt(10.0 * 22000.0), 1e-9);
  EXPECT_NEAR(stored("/chain/eq/2/freq"), 469.0416, 1e-4);
  EXPECT_NEAR(*f->norm, 0.5, 1e-12);

  auto g = set("/chain/eq/2/gain/norm", 0.25);
  ASSERT_TRUE(g.ok());
  EXPECT_DOUBLE_EQ(stored("/chain/eq/2/gain"), -18.0 + 0.25 * 36.0);

  // Out-of-range faders clamp at the ends.
  ASSERT_TRUE(set("/chain/eq/2/freq/norm", 7.0).ok());
  EXPECT_DOUBLE_EQ(stored("/chain/eq/2/freq"), 22000.0);
}

TEST_F(HubFixture, ChoicesTravelByNameOrIndexAndBooleansAcceptNumbers) {
  auto t = set("/chain/eq/1/type", std::string("high_shelf"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(std::get<std::string>(t->value), "high_shelf");
  EXPECT_EQ(stored("/chain/eq/1/type"), 2.0);
  auto by_index = set("/chain/eq/1/type", std::int64_t{4});
  ASSERT_TRUE(by_index.ok());
  EXPECT_EQ(std::get<std::string>(by_index->value), "low_pass");
  auto bad = set("/chain/eq/1/type", std::string("wobble"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::invalid_value);

  auto b = set("/chain/eq/bypass", 1.0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(std::get<bool>(b->value), true);
  ASSERT_TRUE(set("/chain/eq/bypass", false).ok());
  EXPECT_EQ(stored("/chain/eq/bypass"), 0.0);
}

TEST_F(HubFixture, NanInfinityWrongTypesAndUnknownPathsAreRefusedWithoutEcho) {
  const double before = stored("/chain/output/gain");
  for (double bad : {std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    auto r = set("/chain/output/gain", bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::invalid_value);
  }
  auto s = set("/chain/output/gain", std::string("loud"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::invalid_value);
  auto u = set("/chain/nothing", 1.0);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::unknown_path);
  EXPECT_EQ(stored("/chain/output/gain"), before);
  EXPECT_TRUE(listener.changes.empty());
  EXPECT_EQ(hub.refused(), 5U);
}

TEST_F(HubFixture, QueriesAnswerTheCallerOnly) {
  ASSERT_TRUE(set("/chain/comp/ratio", 4.0).ok());
  listener.changes.clear();
  auto q = set("/chain/comp/ratio", Value{});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(std::get<double>(q->value), 4.0);
  EXPECT_TRUE(listener.changes.empty());
}

TEST_F(HubFixture, ClientsMayNotTouchOrReadTheChainOrMonitor) {
  for (const Entry& e : table.entries()) {
    if (!e.param) continue;
    auto w = set(e.path, 0.0, Role::client);
    ASSERT_FALSE(w.ok()) << e.path;
    EXPECT_EQ(w.error().code, ErrorCode::forbidden) << e.path;
    auto r = set(e.path, Value{}, Role::client);
    ASSERT_FALSE(r.ok()) << e.path;
    EXPECT_EQ(r.error().code, ErrorCode::forbidden) << e.path;
  }
  for (const char* path : {"/transport/play", "/transport/locate", "/snapshot/recall"}) {
    auto w = set(path, 1.0, Role::client);
    ASSERT_FALSE(w.ok()) << path;
  }
  EXPECT_TRUE(listener.changes.empty());
  auto unauth = set("/chain/input/trim", 1.0, Role::none);
  ASSERT_FALSE(unauth.ok());
  EXPECT_EQ(unauth.error().code, ErrorCode::unauthorized);
  // Following the transport is allowed.
  EXPECT_TRUE(set("/transport/position", Value{}, Role::client).ok());
}

TEST_F(HubFixture, TransportCommandsDriveThePortAndEchoTheClampedValue) {
  auto p = set("/transport/play", Value{});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(transport.s.playing);
  EXPECT_EQ(p->entry->path, "/transport/playing");
  // A button release (0) does nothing.
  ASSERT_TRUE(set("/transport/stop", 0.0).ok());
  EXPECT_TRUE(transport.s.playing);
  ASSERT_TRUE(set("/transport/stop", 1.0).ok());
  EXPECT_FALSE(transport.s.playing);

  auto l = set("/transport/locate", 500.0);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(std::get<double>(l->value), 180.0);  // the track's length
  EXPECT_EQ(transport.s.position_s, 180.0);
  auto t = set("/transport/track", std::int64_t{12});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(std::get<std::int64_t>(t->value), 2);  // three tracks loaded
  auto q = set("/transport/track", Value{});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(std::get<std::int64_t>(q->value), 2);
  EXPECT_FALSE(set("/transport/position", 3.0).ok());  // read only
}

// Integrated loudness of the engine's output after `seconds` of a 1 kHz sine at `dbfs`.
double play_and_measure(dsp::Engine& engine, double seconds, double dbfs) {
  constexpr std::uint32_t kPeriod = 256;
  static std::size_t t = 0;
  std::vector<float> in(kPeriod), out_l(kPeriod), out_r(kPeriod), mon_l(kPeriod), mon_r(kPeriod);
  const double amplitude = std::pow(10.0, dbfs / 20.0);
  for (std::size_t end = t + static_cast<std::size_t>(seconds * 48000.0); t < end; t += kPeriod) {
    for (std::uint32_t i = 0; i < kPeriod; ++i) {
      in[i] = static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * 1000.0 *
                                                      static_cast<double>(t + i) / 48000.0));
    }
    const float* ins[2] = {in.data(), in.data()};
    float* outs[2] = {out_l.data(), out_r.data()};
    float* mons[2] = {mon_l.data(), mon_r.data()};
    engine.process(ins, outs, mons, kPeriod);
  }
  dsp::MeterSnapshot m;
  engine.read_meters(m);
  return m.out.loudness.integrated_lufs;
}

// /meter/reset, a locate and a track change each start a new measurement: what was played
// before no longer counts. Clients may not reset the room's meters.
TEST_F(HubFixture, MeterResetLocateAndTrackChangeStartANewMeasurement) {
  dsp::Engine engine(schema());
  hub.set_engine(&engine);
  engine.rebuild(48000.0);
  EXPECT_NEAR(play_and_measure(engine, 4.0, -20.0), -20.0, 0.1);
  EXPECT_NEAR(play_and_measure(engine, 2.0, -30.0), -21.6, 0.3);  // both count
  auto refused = set("/meter/reset", Value{}, Role::client);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::forbidden);
  ASSERT_TRUE(set("/meter/reset", Value{}).ok());
  EXPECT_NEAR(play_and_measure(engine, 2.0, -30.0), -30.0, 0.1);
  ASSERT_TRUE(set("/transport/locate", 10.0).ok());
  EXPECT_NEAR(play_and_measure(engine, 2.0, -40.0), -40.0, 0.1);
  ASSERT_TRUE(set("/transport/track", std::int64_t{1}).ok());
  EXPECT_NEAR(play_and_measure(engine, 2.0, -25.0), -25.0, 0.1);
}

TEST_F(HubFixture, NotesAreAddedAtThePlayPositionAndWalkedInOrder) {
  transport.s.track = 1;
  transport.s.position_s = 42.5;
  auto n = set("/note/add", std::string("vocal harsh"), Role::client);
  // A client may add notes only to sessions it was invited to.
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, ErrorCode::forbidden);
  const Principal artist{Role::client, 3, "artist", {7}};
  auto ok = hub.execute(Command{"/note/add", std::string("vocal harsh"), Origin::websocket,
                                Role::client},
                        &artist);
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(sessions.stored.size(), 1U);
  EXPECT_EQ(sessions.stored[0].time_s, 42.5);
  EXPECT_EQ(sessions.stored[0].track_id, 101);
  EXPECT_EQ(sessions.stored[0].author, "artist");
  ASSERT_EQ(listener.notes.size(), 1U);

  ASSERT_TRUE(hub.add_note(artist, NotePlace{7, 100, 10.0, {}, {}}, "intro boomy").ok());
  ASSERT_TRUE(hub.add_note(artist, NotePlace{7, 102, 5.0, {}, {}}, "fade early").ok());
  EXPECT_FALSE(hub.add_note(artist, NotePlace{8, 100, 1.0, {}, {}}, "elsewhere").ok());

  // From track 1 at 42.5 s: next is the note exactly there, then track 2, then wraps.
  transport.s.track = 1;
  transport.s.position_s = 42.5;
  auto a = set("/note/next", Value{});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(std::get<std::string>(a->value), "vocal harsh");
  auto b = set("/note/next", 1.0);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(std::get<std::string>(b->value), "fade early");
  EXPECT_EQ(transport.s.track, 2);
  EXPECT_EQ(transport.s.position_s, 5.0);
  auto c = set("/note/next", 1.0);
  EXPECT_EQ(std::get<std::string>(c->value), "intro boomy");
  auto d = set("/note/prev", 1.0);
  EXPECT_EQ(std::get<std::string>(d->value), "fade early");

  ASSERT_TRUE(set("/note/resolve", Value{}).ok());
  EXPECT_TRUE(sessions.stored[2].resolved);
  // Resolved notes are skipped by the walk.
  auto e = set("/note/next", 1.0);
  EXPECT_EQ(std::get<std::string>(e->value), "intro boomy");
  auto cur = set("/note/current", Value{});
  ASSERT_TRUE(cur.ok());
  EXPECT_EQ(std::get<std::string>(cur->value), "intro boomy");
}

TEST_F(HubFixture, SnapshotsStoreTheChainAndRecallEchoesEveryPath) {
  ASSERT_TRUE(set("/chain/eq/4/gain", 3.5).ok());
  ASSERT_TRUE(set("/chain/output/dither", std::string("shibata")).ok());
  ASSERT_TRUE(set("/monitor/level", -10.0).ok());
  ASSERT_TRUE(set("/snapshot/store", std::string("A")).ok());
  const auto& a = sessions.snapshots.at("A");
  EXPECT_EQ(a.at("/chain/eq/4/gain").get<double>(), 3.5);
  EXPECT_EQ(a.at("/chain/output/dither").get<std::string>(), "shibata");
  EXPECT_FALSE(a.contains("/monitor/level"));  // recalling never jumps the room's level
  std::size_t chain_params = 0;
  for (const auto& spec : schema().params()) chain_params += spec.path.starts_with("/chain/");
  EXPECT_EQ(a.size(), chain_params);

  ASSERT_TRUE(set("/chain/eq/4/gain", -6.0).ok());
  ASSERT_TRUE(set("/chain/output/dither", std::string("off")).ok());
  listener.changes.clear();
  ASSERT_TRUE(set("/snapshot/recall", std::string("A")).ok());
  EXPECT_EQ(stored("/chain/eq/4/gain"), 3.5);
  EXPECT_EQ(stored("/chain/output/dither"),
            *schema().choice_value(schema().id("/chain/output/dither"), "shibata"));
  EXPECT_EQ(stored("/monitor/level"), -10.0);
  EXPECT_EQ(listener.changes.size(), chain_params + 1);  // every path, then the recall
  auto missing = set("/snapshot/recall", std::string("Z"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST_F(HubFixture, ComparingSnapshotsLoadsAAndBIntoTheEngine) {
  const auto eq_gain = schema().id("/chain/eq/4/gain");
  const auto compare_index = [](const char* name) {
    return *schema().choice_value(schema().id("/monitor/compare"), name);
  };
  // Without an engine to play them, and without the snapshots, the compare is refused and
  // stays where it was.
  auto refused = set("/monitor/compare", std::string("A"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::unavailable);
  dsp::Engine engine(schema());
  hub.set_engine(&engine);
  refused = set("/monitor/compare", std::string("A"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::not_found);
  EXPECT_NE(refused.error().message.find("snapshot A"), std::string::npos);
  EXPECT_EQ(stored("/monitor/compare"), compare_index("chain"));

  ASSERT_TRUE(set("/chain/eq/4/gain", 3.5).ok());
  ASSERT_TRUE(set("/snapshot/store", std::string("A")).ok());
  ASSERT_TRUE(set("/chain/eq/4/gain", -2.0).ok());
  ASSERT_TRUE(set("/chain/comp/ratio", 3.0).ok());
  ASSERT_TRUE(set("/snapshot/store", std::string("B")).ok());
  // A path a snapshot lacks plays as the chain has it.
  sessions.snapshots.at("B").erase("/chain/comp/ratio");
  ASSERT_TRUE(set("/chain/comp/ratio", 5.0).ok());

  ASSERT_TRUE(set("/monitor/compare", std::string("B")).ok());
  EXPECT_EQ(stored("/monitor/compare"), compare_index("B"));
  EXPECT_EQ(engine.snapshot_params(0).get(eq_gain), 3.5);
  EXPECT_EQ(engine.snapshot_params(1).get(eq_gain), -2.0);
  EXPECT_EQ(engine.snapshot_params(1).get(schema().id("/chain/comp/ratio")), 5.0);
  // The chain being mastered is untouched by the compare.
  EXPECT_EQ(stored("/chain/eq/4/gain"), -2.0);

  // Storing A again while comparing is heard at once.
  ASSERT_TRUE(set("/chain/eq/4/gain", 1.0).ok());
  ASSERT_TRUE(set("/snapshot/store", std::string("A")).ok());
  EXPECT_EQ(engine.snapshot_params(0).get(eq_gain), 1.0);
  ASSERT_TRUE(set("/monitor/compare", std::string("chain")).ok());
}

TEST_F(HubFixture, WithoutPortsTheirPathsAreUnavailable) {
  hub.set_transport(nullptr);
  hub.set_sessions(nullptr);
  for (const char* path : {"/transport/play", "/note/next", "/snapshot/store"}) {
    Value v = std::string(path) == "/snapshot/store" ? Value{std::string("A")} : Value{};
    auto r = set(path, v);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.error().code, ErrorCode::unavailable) << path;
  }
  EXPECT_TRUE(set("/chain/input/trim", 1.0).ok());
}

TEST_F(HubFixture, StateListsWhatTheRoleMayRead) {
  const auto engineer = hub.state(Role::engineer);
  EXPECT_TRUE(engineer.contains("/chain/eq/1/gain"));
  EXPECT_TRUE(engineer.contains("/monitor/level"));
  EXPECT_EQ(engineer.at("/chain/eq/1/type").get<std::string>(), "bell");
  const auto client = hub.state(Role::client);
  EXPECT_FALSE(client.contains("/chain/eq/1/gain"));
  EXPECT_TRUE(client.contains("/transport/position"));
}

TEST(Json, ValuesRoundTripAndContainersAreRefused) {
  EXPECT_EQ(std::get<std::int64_t>(*value_from_json(nlohmann::json::parse("3"))), 3);
  EXPECT_EQ(std::get<double>(*value_from_json(nlohmann::json::parse("3.5"))), 3.5);
  EXPECT_EQ(std::get<bool>(*value_from_json(nlohmann::json::parse("true"))), true);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(*value_from_json(nullptr)));
  EXPECT_FALSE(value_from_json(nlohmann::json::parse("[1]")).ok());
  EXPECT_EQ(value_to_json(Value{std::string("x")}), "x");
}

TEST(Auth, EngineerTokenClientLookupAndLockout) {
  Authenticator auth("s3cret-token");
  auth.set_lookup([](std::string_view token) -> Expected<Principal> {
    if (token == "client-token") return Principal{Role::client, 9, "mix", {4}};
    return make_error(ErrorCode::unauthorized, "unknown");
  });
  const auto t0 = Clock::now();
  auto e = auth.authenticate("s3cret-token", "10.0.0.1", t0);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->role, Role::engineer);
  auto c = auth.authenticate("client-token", "10.0.0.1", t0);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->role, Role::client);
  EXPECT_TRUE(c->may_access(4));
  EXPECT_FALSE(c->may_access(5));

  for (int i = 0; i < 5; ++i) {
    auto bad = auth.authenticate("s3cret-tokem", "10.0.0.2", t0);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::unauthorized);
  }
  // Locked out: wrong tokens are answered rate_limited, the right ones still pass (a
  // guesser behind the engineer's address must not lock the engineer out).
  auto locked = auth.authenticate("s3cret-tokem", "10.0.0.2", t0 + std::chrono::seconds(1));
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().code, ErrorCode::rate_limited);
  EXPECT_TRUE(auth.authenticate("s3cret-token", "10.0.0.2", t0 + std::chrono::seconds(1)).ok());
  EXPECT_TRUE(auth.authenticate("client-token", "10.0.0.2", t0 + std::chrono::seconds(1)).ok());
  EXPECT_EQ(auth.authenticate("x", "10.0.0.3", t0).error().code, ErrorCode::unauthorized);
  EXPECT_EQ(auth.authenticate("x", "10.0.0.2", t0 + std::chrono::seconds(61)).error().code,
            ErrorCode::unauthorized);
}

TEST(Auth, ConstantTimeEqualityAndGeneratedTokens) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abd", "abc"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("abcd", "abc"));
  EXPECT_FALSE(constant_time_equal("", "abc"));
  const std::string a = generate_token();
  const std::string b = generate_token();
  EXPECT_EQ(a.size(), 64U);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(RateLimit, TokenBucketRefillsAtItsRate) {
  const auto t0 = Clock::now();
  TokenBucket bucket(10.0, 5.0, t0);
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += bucket.allow(t0);
  EXPECT_EQ(allowed, 5);
  // 10 per second: after 0.3 s three more.
  allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += bucket.allow(t0 + std::chrono::milliseconds(300));
  EXPECT_EQ(allowed, 3);

  KeyedLimiter keyed(1.0, 2.0, 2);
  EXPECT_TRUE(keyed.allow("a", t0));
  EXPECT_TRUE(keyed.allow("a", t0));
  EXPECT_FALSE(keyed.allow("a", t0));
  EXPECT_TRUE(keyed.allow("b", t0));
  EXPECT_LE(keyed.size(), 2U);

  LogLimiter log(2, std::chrono::seconds(1));
  std::uint64_t suppressed = 0;
  EXPECT_TRUE(log.allow(t0, suppressed));
  EXPECT_TRUE(log.allow(t0, suppressed));
  EXPECT_FALSE(log.allow(t0, suppressed));
  EXPECT_FALSE(log.allow(t0, suppressed));
  EXPECT_TRUE(log.allow(t0 + std::chrono::seconds(2), suppressed));
  EXPECT_EQ(suppressed, 2U);
}

}  // namespace
}  // namespace lacquer::control
