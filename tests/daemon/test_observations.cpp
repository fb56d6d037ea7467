// Observations reported back to the client in `lacquer serve` (jackd -d dummy, a temporary
// database): the engineer files one at an event's time through the API; an invited client
// reads it but may not file one; a client of another session may not read it; bad bodies
// are refused; what was stored is in the observations table.
#include <csignal>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lacquer/session/store.hpp"
#include "music.hpp"
#include "process_helpers.hpp"
#include "serve_fixture.hpp"

namespace lacquer::test {
namespace {

using nlohmann::json;

constexpr const char* kToken = "observation-token";

class ObservationsTest : public ServeFixture {
 protected:
  ObservationsTest() : ServeFixture(kToken, "lqo") {}

  /// A new session holding one track: {session id, track id}.
  std::pair<int, int> session_with_track() {
    const auto s = call(kToken, "POST", "/api/sessions", {{"title", "QC"}});
    EXPECT_EQ(s.status, 201) << s.body;
    const int session = json::parse(s.body)["id"];
    const auto t = call(kToken, "POST", "/api/sessions/" + std::to_string(session) + "/tracks",
                        {{"file", file_}});
    EXPECT_EQ(t.status, 201) << t.body;
    return {session, json::parse(t.body)["id"].get<int>()};
  }

  std::string invite(int session) {
    const auto r = call(kToken, "POST", "/api/sessions/" + std::to_string(session) + "/invites",
                        {{"name", "Artist"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).value("token", "");
  }

  std::string file_;
};

TEST_F(ObservationsTest, TheEngineerFilesInvitedClientsRead) {
  file_ = dir_ + "/tone.wav";
  ASSERT_TRUE(analysis::test::write_wav(file_, analysis::test::tone({{5.0, -20.0}})));
  const auto [session, track] = session_with_track();
  const auto [other_session, other_track] = session_with_track();
  const std::string route = "/api/sessions/" + std::to_string(session) + "/observations";
  const std::string client = invite(session);
  const std::string stranger = invite(other_session);

  EXPECT_EQ(json::parse(call(kToken, "GET", route).body), json::array());
  const json note{{"track", track}, {"time_s", 151.24}, {"topic", "click"},
                  {"text", "click, right channel"}};
  const auto posted = call(kToken, "POST", route, note);
  ASSERT_EQ(posted.status, 201) << posted.body;
  const json stored = json::parse(posted.body);
  EXPECT_EQ(stored.value("text", ""), "2:31.2 · click, right channel");
  EXPECT_EQ(stored.value("topic", ""), "click");
  EXPECT_EQ(stored["track"], track);

  // The invited client reads it and may not file one; a client of another session
  // may do neither.
  const auto read = call(client, "GET", route);
  ASSERT_EQ(read.status, 200) << read.body;
  ASSERT_EQ(json::parse(read.body), json::array({stored}));
  EXPECT_EQ(call(client, "POST", route, note).status, 403);
  EXPECT_EQ(call(stranger, "GET", route).status, 403);
  EXPECT_EQ(call(stranger, "POST", route, note).status, 403);
  EXPECT_EQ(call("wrong-token", "GET", route).status, 401);

  // Bad bodies: a track of another session, no time, a negative time, no text, not JSON.
  auto with = [&note](const char* key, const json& value) {
    json b = note;
    if (value.is_null()) b.erase(key);
    else b[key] = value;
    return b;
  };
  EXPECT_EQ(call(kToken, "POST", route, with("track", other_track)).status, 404);
  EXPECT_EQ(call(kToken, "POST", route, with("time_s", nullptr)).status, 400);
  EXPECT_EQ(call(kToken, "POST", route, with("time_s", -1.0)).status, 400);
  EXPECT_EQ(call(kToken, "POST", route, with("text", "")).status, 400);
  EXPECT_EQ(http_call(port_, "POST", route, kToken, "not json").status, 400);

  // A time of exactly a minute, and the order in which they were filed.
  ASSERT_EQ(call(kToken, "POST", route, with("time_s", 59.96)).status, 201);
  const json all = json::parse(call(kToken, "GET", route).body);
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[1].value("text", ""), "1:00.0 · click, right channel");

  auto store = session::Store::open(dir_ + "/lacquer.db");
  auto rows = store->observations(session);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2U);
  EXPECT_EQ(rows->front().track_id, track);
  EXPECT_EQ(rows->front().text, "2:31.2 · click, right channel");
  EXPECT_TRUE(store->observations(other_session)->empty());
}

}  // namespace
}  // namespace lacquer::test
