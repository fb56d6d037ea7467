// Round trips of every table on a temporary file, and the store's refusals.
#include <chrono>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lacquer/session/schema.hpp"
#include "lacquer/session/sha256.hpp"
#include "lacquer/session/store.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;
using nlohmann::json;

namespace {

const std::string kAbcSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store = ls::Store::open(dir / "lacquer.db"); }

  ls::Session make_session(const std::string& title = "First Light") {
    auto s = store->create_session(
        {.title = title, .artist = "Halden", .client = "Orbit Records", .studio = "Blackbird"});
    EXPECT_TRUE(s) << s.error().message;
    return *s;
  }
  ls::Track make_track(ls::Id session_id, const std::string& title = "Opening") {
    auto t = store->add_track({.session_id = session_id,
                               .file_path = "/mix/" + title + ".wav",
                               .file_sha256 = kAbcSha,
                               .title = title});
    EXPECT_TRUE(t) << t.error().message;
    return *t;
  }

  ls::testing::TempDir dir;
  std::unique_ptr<ls::Store> store;
};

}  // namespace

TEST_F(StoreTest, OpenSetsWalForeignKeysAndVersion) {
  EXPECT_EQ(store->schema_version(), ls::kSchemaVersion);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "lacquer.db").c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA application_id", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), ls::kApplicationId);
  sqlite3_finalize(st);
  sqlite3_close(raw);
  // Foreign keys are enforced on the store's connection: a track of no session fails.
  auto t = store->add_track({.session_id = 999, .file_path = "x.wav", .file_sha256 = kAbcSha});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ls::ErrorCode::not_found);
  EXPECT_EQ(store->integrity_check().value(), "ok");
}

TEST_F(StoreTest, SessionRoundTrip) {
  const auto before = ls::now_unix_ms();
  const auto s = make_session();
  auto back = store->session(s.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->title, "First Light");
  EXPECT_EQ(back->artist, "Halden");
  EXPECT_EQ(back->client, "Orbit Records");
  EXPECT_EQ(back->studio, "Blackbird");
  EXPECT_EQ(back->status, ls::SessionStatus::open);
  EXPECT_GE(back->created_unix_ms, before);
  EXPECT_LE(back->created_unix_ms, ls::now_unix_ms());

  ASSERT_TRUE(store->set_session_status(s.id, ls::SessionStatus::approved));
  EXPECT_EQ(store->session(s.id)->status, ls::SessionStatus::approved);
  const auto second = make_session("Second");
  auto all = store->sessions();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, second.id);  // newest first

  EXPECT_EQ(store->session(12345).error().code, ls::ErrorCode::not_found);
  EXPECT_EQ(store->set_session_status(12345, ls::SessionStatus::open).error().code,
            ls::ErrorCode::not_found);
  EXPECT_EQ(store->create_session({}).error().code, ls::ErrorCode::invalid_argument);
}

TEST_F(StoreTest, TrackRoundTripWithHashIsrcAndOrder) {
  const auto s = make_session();
  const auto file = dir / "mix.wav";
  std::ofstream(file, std::ios::binary) << "abc";
  auto t1 = store->add_track({.session_id = s.id,
                              .file_path = file.string(),
                              .title = "One",
                              .isrc = "gb-abc-24-00001",
                              .gap_before_s = 2.0,
                              .target = "spotify"});
  ASSERT_TRUE(t1) << t1.error().message;
  EXPECT_EQ(t1->file_sha256, kAbcSha);  // hashed from the file's bytes
  EXPECT_EQ(t1->isrc, "GBABC2400001");
  EXPECT_EQ(t1->position, 1);
  auto t2 = store->add_track({.session_id = s.id,
                              .file_path = "/b.wav",
                              .file_sha256 = std::string(64, 'A'),
                              .title = "Two"});
  ASSERT_TRUE(t2);
  EXPECT_EQ(t2->position, 2);
  EXPECT_EQ(t2->file_sha256, std::string(64, 'a'));

  auto back = store->track(t1->id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->session_id, s.id);
  EXPECT_EQ(back->file_path, file.string());
  EXPECT_EQ(back->title, "One");
  EXPECT_EQ(back->isrc, "GBABC2400001");
  EXPECT_DOUBLE_EQ(back->gap_before_s, 2.0);
  EXPECT_EQ(back->target, "spotify");
  EXPECT_FALSE(back->snapshot_id);
  auto list = store->tracks(s.id);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].title, "Two");

  auto taken = store->add_track(
      {.session_id = s.id, .file_path = "/c.wav", .file_sha256 = kAbcSha, .position = 2});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, ls::ErrorCode::constraint);
  EXPECT_NE(taken.error().message.find("UNIQUE"), std::string::npos) << taken.error().message;
  EXPECT_EQ(store
                ->add_track({.session_id = s.id,
                             .file_path = "/c.wav",
                             .file_sha256 = kAbcSha,
                             .isrc = "GB-ABC-2X-00001"})
                .error()
                .code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->add_track({.session_id = s.id, .file_path = "/c.wav", .file_sha256 = "00"})
                .error()
                .code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(
      store->add_track({.session_id = s.id, .file_path = (dir / "none.wav").string()}).error().code,
      ls::ErrorCode::not_found);
}

TEST_F(StoreTest, SnapshotsVersionRecallAndDiff) {
  const auto t = make_track(make_session().id);
  const json a = {{"/chain/eq/1/gain", 1.5},
                  {"/chain/eq/1/type", "bell"},
                  {"/chain/limiter/ceiling", -1.0},
                  {"/chain/comp/bypass", true}};
  const json b = {{"/chain/eq/1/gain", 2.5},
                  {"/chain/eq/1/type", "bell"},
                  {"/chain/limiter/ceiling", -1},
                  {"/monitor/mono", 1}};
  auto sa = store->store_snapshot(t.id, "A", a);
  ASSERT_TRUE(sa) << sa.error().message;
  auto sb = store->store_snapshot(t.id, "v2 brighter", b);
  ASSERT_TRUE(sb);
  auto sa2 = store->store_snapshot(t.id, "A", b);
  ASSERT_TRUE(sa2);
  EXPECT_EQ(sa->version, 1);
  EXPECT_EQ(sb->version, 2);
  EXPECT_EQ(sa2->version, 3);
  EXPECT_EQ(store->track(t.id)->snapshot_id, sa2->id);  // storing applies

  auto back = store->snapshot(sa->id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->state, a);
  EXPECT_EQ(back->name, "A");
  EXPECT_EQ(store->snapshot_by_name(t.id, "A")->id, sa2->id);  // newest of that name
  EXPECT_EQ(store->snapshot_by_name(t.id, "B").error().code, ls::ErrorCode::not_found);
  EXPECT_EQ(store->snapshots(t.id)->size(), 3u);

  auto recalled = store->recall_snapshot(sa->id);
  ASSERT_TRUE(recalled);
  EXPECT_EQ(recalled->state, a);
  EXPECT_EQ(store->track(t.id)->snapshot_id, sa->id);

  auto diff = store->diff_snapshots(sa->id, sb->id);
  ASSERT_TRUE(diff);
  // The ceiling -1.0 and -1 are the same number; the rest differ or exist on one side.
  ASSERT_EQ(diff->size(), 3u);
  EXPECT_EQ((*diff)[0].path, "/chain/comp/bypass");
  EXPECT_EQ((*diff)[0].before, true);
  EXPECT_TRUE((*diff)[0].after.is_null());
  EXPECT_EQ((*diff)[1].path, "/chain/eq/1/gain");
  EXPECT_EQ((*diff)[1].before, 1.5);
  EXPECT_EQ((*diff)[1].after, 2.5);
  EXPECT_EQ((*diff)[2].path, "/monitor/mono");
  EXPECT_TRUE((*diff)[2].before.is_null());
  EXPECT_TRUE(store->diff_snapshots(sb->id, sa2->id)->empty());

  EXPECT_EQ(store->store_snapshot(t.id, "x", json::array()).error().code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->store_snapshot(t.id, "x", {{"chain", 1}}).error().code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->store_snapshot(t.id, "x", {{"/chain/x", {1, 2}}}).error().code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->store_snapshot(999, "x", json::object()).error().code, ls::ErrorCode::not_found);
}

TEST_F(StoreTest, ClientTokensAreStoredOnlyAsHashes) {
  const auto s1 = make_session("One");
  const auto s2 = make_session("Two");
  auto inv = store->create_client("Mara (producer)", ls::Role::client);
  ASSERT_TRUE(inv) << inv.error().message;
  EXPECT_EQ(inv->token.size(), 43u);
  ASSERT_TRUE(store->invite(inv->client.id, s1.id));
  ASSERT_TRUE(store->invite(inv->client.id, s1.id));  // idempotent

  auto who = store->authenticate(inv->token);
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_EQ(who->name, "Mara (producer)");
  EXPECT_EQ(who->role, ls::Role::client);
  EXPECT_EQ(who->sessions, std::vector<ls::Id>{s1.id});
  EXPECT_TRUE(ls::Store::may_access(*who, s1.id));
  EXPECT_FALSE(ls::Store::may_access(*who, s2.id));

  auto engineer = store->add_client_with_token("Engineer", ls::Role::engineer,
                                               "engineer-token-from-environment");
  ASSERT_TRUE(engineer);
  EXPECT_TRUE(ls::Store::may_access(*engineer, s2.id));
  EXPECT_EQ(
      store->add_client_with_token("Again", ls::Role::engineer, "engineer-token-from-environment")
          .error()
          .code,
      ls::ErrorCode::constraint);
  EXPECT_EQ(store->add_client_with_token("Short", ls::Role::client, "1234").error().code,
            ls::ErrorCode::invalid_argument);

  // Neither the token nor any long piece of it is in the file; its digest is.
  store.reset();
  std::ifstream f(dir / "lacquer.db", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(inv->token.substr(0, 16)), std::string::npos);
  EXPECT_EQ(bytes.find("engineer-token-from-environment"), std::string::npos);
  EXPECT_NE(bytes.find(ls::sha256_hex(inv->token)), std::string::npos);
  store = ls::Store::open(dir / "lacquer.db");

  auto unknown = store->authenticate("not-a-token-at-all-really");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ls::ErrorCode::unauthorized);

  ASSERT_TRUE(store->revoke_client(inv->client.id));
  auto revoked = store->authenticate(inv->token);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ls::ErrorCode::unauthorized);
  EXPECT_NE(revoked.error().message.find("revoked"), std::string::npos);
  EXPECT_TRUE(store->client(inv->client.id)->revoked);
  EXPECT_EQ(store->revoke_client(999).error().code, ls::ErrorCode::not_found);
  EXPECT_EQ(store->clients()->size(), 2u);
}

TEST_F(StoreTest, ClientExpiry) {
  const std::int64_t expires = 1'700'000'000'000;
  auto inv = store->create_client("Guest", ls::Role::client, expires);
  ASSERT_TRUE(inv);
  EXPECT_EQ(store->client(inv->client.id)->expires_unix_ms, expires);
  EXPECT_TRUE(store->authenticate(inv->token, expires - 1));
  auto late = store->authenticate(inv->token, expires);
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().message.find("expired"), std::string::npos);
  EXPECT_EQ(store->invite(inv->client.id, 999).error().code, ls::ErrorCode::not_found);
}

TEST_F(StoreTest, NoteRoundTripResolveAndFilters) {
  const auto s = make_session();
  const auto t = make_track(s.id);
  const auto other = make_track(make_session("Other").id, "Elsewhere");
  auto snap = store->store_snapshot(t.id, "A", {{"/chain/limiter/ceiling", -1.0}});
  auto mara = store->create_client("Mara", ls::Role::client);
  ASSERT_TRUE(snap && mara);

  auto n = store->add_note({.session_id = s.id,
                            .track_id = t.id,
                            .time_s = 92.0,
                            .author_client_id = mara->client.id,
                            .text = "limiter pumping at 1:32",
                            .snapshot_id = snap->id,
                            .compare_state = ls::CompareState::b});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->author, "Mara");  // filled from the client record
  auto back = store->note(n->id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->session_id, s.id);
  EXPECT_EQ(back->track_id, t.id);
  EXPECT_DOUBLE_EQ(back->time_s, 92.0);
  EXPECT_EQ(back->author_client_id, mara->client.id);
  EXPECT_EQ(back->author, "Mara");
  EXPECT_EQ(back->text, "limiter pumping at 1:32");
  EXPECT_EQ(back->status, ls::NoteStatus::open);
  EXPECT_EQ(back->snapshot_id, snap->id);
  EXPECT_EQ(back->compare_state, ls::CompareState::b);
  EXPECT_EQ(back->created_unix_ms, n->created_unix_ms);

  auto whole = store->add_note(
      {.session_id = s.id, .time_s = 0.0, .author = "Engineer", .text = "Album sequence agreed"});
  ASSERT_TRUE(whole);
  EXPECT_FALSE(store->note(whole->id)->track_id);
  EXPECT_FALSE(store->note(whole->id)->compare_state);

  auto resolved = store->resolve_note(n->id, "Engineer");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->status, ls::NoteStatus::resolved);
  EXPECT_EQ(resolved->resolved_by, "Engineer");
  EXPECT_TRUE(resolved->resolved_unix_ms);
  EXPECT_EQ(store->notes({.session_id = s.id, .status = ls::NoteStatus::open})->size(), 1u);
  EXPECT_EQ(store->notes({.track_id = t.id})->size(), 1u);
  auto reopened = store->reopen_note(n->id);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->status, ls::NoteStatus::open);
  EXPECT_TRUE(reopened->resolved_by.empty());
  EXPECT_FALSE(reopened->resolved_unix_ms);

  // Refusals: a track of another session, no text, a negative or NaN time, no author.
  EXPECT_EQ(store->add_note({.session_id = s.id, .track_id = other.id, .author = "x", .text = "y"})
                .error()
                .code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->add_note({.session_id = s.id, .author = "x"}).error().code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(
      store->add_note({.session_id = s.id, .time_s = -1, .author = "x", .text = "y"}).error().code,
      ls::ErrorCode::invalid_argument);
  EXPECT_EQ(
      store->add_note({.session_id = s.id, .time_s = std::nan(""), .author = "x", .text = "y"})
          .error()
          .code,
      ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->add_note({.session_id = s.id, .text = "y"}).error().code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->add_note({.session_id = 999, .author = "x", .text = "y"}).error().code,
            ls::ErrorCode::not_found);
  auto bad_snapshot =
      store->add_note({.session_id = s.id, .author = "x", .text = "y", .snapshot_id = 999});
  ASSERT_FALSE(bad_snapshot);
  EXPECT_EQ(bad_snapshot.error().code, ls::ErrorCode::constraint);
  EXPECT_EQ(store->resolve_note(999, "x").error().code, ls::ErrorCode::not_found);
}

TEST_F(StoreTest, ObservationAndReportRoundTrip) {
  const auto s = make_session();
  const auto t = make_track(s.id);
  auto o = store->add_observation(s.id, t.id, "low end",
                                  "Low end needed attention on every track (build-up at 120 Hz)");
  ASSERT_TRUE(o);
  auto obs = store->observations(s.id);
  ASSERT_EQ(obs->size(), 1u);
  EXPECT_EQ((*obs)[0].topic, "low end");
  EXPECT_EQ((*obs)[0].track_id, t.id);
  EXPECT_EQ((*obs)[0].text, o->text);
  EXPECT_EQ(store->add_observation(s.id, {}, "x", "").error().code,
            ls::ErrorCode::invalid_argument);

  const json data = {{"loudness", {{"integrated_lufs", -14.2}, {"true_peak_dbtp", -1.1}}},
                     {"events", json::array({{{"type", "click"}, {"time_s", 12.5}}})}};
  auto r = store->add_report(s.id, t.id, ls::ReportKind::deliverable, "spotify", data);
  ASSERT_TRUE(r);
  auto back = store->report(r->id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data, data);
  EXPECT_EQ(back->kind, ls::ReportKind::deliverable);
  EXPECT_EQ(back->label, "spotify");
  EXPECT_EQ(back->track_id, t.id);
  EXPECT_EQ(store->reports(s.id)->size(), 1u);
  EXPECT_EQ(store->add_report(s.id, {}, ls::ReportKind::render, "", json(3)).error().code,
            ls::ErrorCode::invalid_argument);
  EXPECT_EQ(store->add_report(999, {}, ls::ReportKind::render, "", json::object()).error().code,
            ls::ErrorCode::constraint);
}

TEST_F(StoreTest, ReferenceTracksInOrderAndNotesThatHeardThem) {
  const auto s = make_session();
  const auto t = make_track(s.id);
  auto first = store->add_reference({.session_id = s.id, .file_path = "/refs/loved.wav",
                                     .file_sha256 = kAbcSha, .title = "Loved"});
  ASSERT_TRUE(first) << first.error().message;
  auto second = store->add_reference({.session_id = s.id, .file_path = "/refs/other.wav",
                                      .file_sha256 = kAbcSha, .title = "Other"});
  ASSERT_TRUE(second);
  EXPECT_EQ(first->position, 1);
  EXPECT_EQ(second->position, 2);
  auto listed = store->references(s.id);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].title, "Loved");
  EXPECT_EQ((*listed)[1].file_path, "/refs/other.wav");
  EXPECT_EQ(store->add_reference({.session_id = 999, .file_path = "/x.wav", .file_sha256 = kAbcSha})
                .error()
                .code,
            ls::ErrorCode::not_found);
  EXPECT_EQ(store->add_reference({.session_id = s.id}).error().code, ls::ErrorCode::invalid_argument);

  auto note = store->add_note({.session_id = s.id, .track_id = t.id, .time_s = 3.0, .author = "Mara",
                               .text = "theirs is warmer",
                               .compare_state = ls::CompareState::reference,
                               .reference_id = first->id});
  ASSERT_TRUE(note) << note.error().message;
  EXPECT_EQ(note->compare_state, ls::CompareState::reference);
  EXPECT_EQ(store->note(note->id)->reference_id, first->id);
  // Removing the reference keeps the note and drops the link.
  ASSERT_TRUE(store->remove_reference(first->id));
  EXPECT_EQ(store->remove_reference(first->id).error().code, ls::ErrorCode::not_found);
  auto kept = store->note(note->id);
  ASSERT_TRUE(kept);
  EXPECT_FALSE(kept->reference_id);
  EXPECT_EQ(kept->text, "theirs is warmer");
}

TEST_F(StoreTest, ReadOnlyOpenReadsButRefusesWrites) {
  const auto s = make_session();
  auto ro = ls::Store::open(dir / "lacquer.db", {.read_only = true});
  EXPECT_EQ(ro->session(s.id)->title, "First Light");
  auto w = ro->create_session({.title = "x"});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ls::ErrorCode::io_error);
  EXPECT_NE(w.error().message.find("readonly"), std::string::npos) << w.error().message;
}

TEST(StorePaths, DefaultDatabasePath) {
  const char* keep[] = {"LACQUER_DB", "XDG_STATE_HOME", "HOME"};
  std::vector<std::optional<std::string>> saved;
  for (const char* k : keep) {
    const char* v = std::getenv(k);
    saved.push_back(v ? std::optional<std::string>(v) : std::nullopt);
  }
  setenv("HOME", "/home/eng", 1);
  setenv("LACQUER_DB", "/srv/lacquer/studio.db", 1);
  setenv("XDG_STATE_HOME", "/state", 1);
  EXPECT_EQ(ls::default_database_path(), "/srv/lacquer/studio.db");
  unsetenv("LACQUER_DB");
  EXPECT_EQ(ls::default_database_path(), "/state/lacquer/lacquer.db");
  setenv("XDG_STATE_HOME", "relative/state", 1);  // not absolute: ignored by the spec
  EXPECT_EQ(ls::default_database_path(), "/home/eng/.local/state/lacquer/lacquer.db");
  unsetenv("XDG_STATE_HOME");
  EXPECT_EQ(ls::default_database_path(), "/home/eng/.local/state/lacquer/lacquer.db");
  for (std::size_t i = 0; i < saved.size(); ++i) {
    if (saved[i]) {
      setenv(keep[i], saved[i]->c_str(), 1);
    } else {
      unsetenv(keep[i]);
    }
  }
}

TEST(StoreOpen, CreatesMissingFolders) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "a/b/c/lacquer.db");
  EXPECT_TRUE(std::filesystem::exists(dir / "a/b/c/lacquer.db"));
}

TEST(StoreBusy, LockHeldElsewhereGivesBusyAfterTheTimeout) {
  ls::testing::TempDir dir;
  auto store = ls::Store::open(dir / "busy.db", {.busy_timeout_ms = 100});
  const auto s = store->create_session({.title = "Locked"});
  ASSERT_TRUE(s);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "busy.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  const auto start = std::chrono::steady_clock::now();
  auto n = store->add_note({.session_id = s->id, .author = "A", .text = "waits"});
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code, ls::ErrorCode::busy);
  EXPECT_NE(n.error().message.find("add note"), std::string::npos) << n.error().message;
  EXPECT_NE(n.error().message.find("locked"), std::string::npos) << n.error().message;
  EXPECT_GE(waited, std::chrono::milliseconds(100));
  // Reads go on beside the other writer (WAL), and writes once it is done.
  EXPECT_TRUE(store->session(s->id));
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  EXPECT_TRUE(store->add_note({.session_id = s->id, .author = "A", .text = "goes"}));
}
