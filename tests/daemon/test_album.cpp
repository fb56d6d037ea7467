// The album routes of `lacquer serve` (jackd -d dummy, a temporary database): three tones
// at known levels added through the API are analysed by the daemon, and the album shows
// their loudness and spread; release metadata, a track's album fields and the order are
// changed, each change pushed to an engineer's WebSocket; refused values get 400 with the
// reason and change nothing; clients may not touch the album; the file holds what the
// routes answered.
#include <array>
#include <chrono>
#include <csignal>
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lacquer/session/store.hpp"
#include "music.hpp"
#include "process_helpers.hpp"
#include "serve_fixture.hpp"
#include "ws_client.hpp"

namespace lacquer::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kToken = "album-token";

class AlbumRoutesTest : public ServeFixture {
 protected:
  AlbumRoutesTest() : ServeFixture(kToken, "lqb") {}

  /// A request as the engineer, or with `token`.
  HttpResult api(const std::string& method, const std::string& path, const json& body = nullptr,
                 const std::string& token = kToken) {
    return call(token, method, path, body);
  }

  /// A track of `seconds` of a 997 Hz sine at `dbfs` peak (as many LUFS, stereo).
  int add_tone(int session, const std::string& name, double seconds, double dbfs) {
    const std::string file = dir_ + "/" + name + ".wav";
    EXPECT_TRUE(analysis::test::write_wav(file, analysis::test::tone({{seconds, dbfs}})));
    const auto t = api("POST", "/api/sessions/" + std::to_string(session) + "/tracks",
                       {{"file", file}, {"title", name}});
    EXPECT_EQ(t.status, 201) << t.body;
    return json::parse(t.body)["id"].get<int>();
  }

  /// The album once every track's analysis is in it.
  json analysed_album(const std::string& route) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      const auto got = api("GET", route);
      EXPECT_EQ(got.status, 200) << got.body;
      json album = json::parse(got.body);
      bool all = true;
      for (const auto& t : album["tracks"]) all = all && t["analysis"].is_object();
      if (all || std::chrono::steady_clock::now() > deadline) return album;
      std::this_thread::sleep_for(50ms);
    }
  }
};

TEST_F(AlbumRoutesTest, EditsTheAlbumAndPushesEachChange) {
  const auto s = api("POST", "/api/sessions", {{"title", "Night Drive"}, {"artist", "The Band"}});
  ASSERT_EQ(s.status, 201) << s.body;
  const int session = json::parse(s.body)["id"];
  const std::string base = "/api/sessions/" + std::to_string(session);
  const int intro = add_tone(session, "Intro", 5.0, -20.0);
  const int loud = add_tone(session, "Loud", 6.0, -14.0);
  const int quiet = add_tone(session, "Quiet", 4.0, -26.0);

  WsClient ws(port_);
  ASSERT_EQ(ws.call({{"op", "auth"}, {"token", kToken}}).value("role", ""), "engineer");
  ASSERT_EQ(ws.call({{"op", "subscribe"}, {"topics", {"params"}}}).value("ok", false), true);
  const json pushed{{"op", "album"}, {"session_id", session}};

  json album = analysed_album(base + "/album");
  EXPECT_EQ(album["session_id"], session);
  EXPECT_EQ(album["title"], "Night Drive");
  EXPECT_EQ(album["artist"], "The Band");
  EXPECT_TRUE(album["year"].is_null());
  EXPECT_EQ(album["catalogue"], "");
  ASSERT_EQ(album["tracks"].size(), 3U);
  EXPECT_EQ(album["tracks"][1]["id"], loud);
  EXPECT_EQ(album["tracks"][1]["position"], 2);
  EXPECT_EQ(album["tracks"][1]["title"], "Loud");
  EXPECT_EQ(album["tracks"][1]["file"], dir_ + "/Loud.wav");
  EXPECT_EQ(album["tracks"][1]["file_sha256"].get<std::string>().size(), 64U);
  EXPECT_FALSE(album["tracks"][1].contains("snapshot"));
  // A stereo 997 Hz sine reads its peak level in LUFS (BS.1770): -20, -14, -26.
  const std::array<double, 3> levels{-20.0, -14.0, -26.0};
  const std::array<double, 3> durations{5.0, 6.0, 4.0};
  for (std::size_t i = 0; i < 3; ++i) {
    const json& an = album["tracks"][i]["analysis"];
    ASSERT_TRUE(an.is_object()) << album.dump();
    EXPECT_NEAR(an["integrated_lufs"].get<double>(), levels[i], 0.1);
    EXPECT_NEAR(an["true_peak_dbtp"].get<double>(), levels[i], 0.1);
    EXPECT_NEAR(an["duration_s"].get<double>(), durations[i], 1e-6);
    EXPECT_TRUE(an["lra_lu"].is_number());
  }
  EXPECT_NEAR(album["spread"]["loudness_spread_lu"].get<double>(), 12.0, 0.1);
  EXPECT_EQ(album["spread"]["loudest"], 2);
  EXPECT_EQ(album["spread"]["quietest"], 3);

  // Release metadata.
  auto r = api("PATCH", base + "/album",
               {{"year", 2026}, {"label", "Quiet Records"}, {"catalogue", "5012345678900"}});
  ASSERT_EQ(r.status, 200) << r.body;
  album = json::parse(r.body);
  EXPECT_EQ(album["year"], 2026);
  EXPECT_EQ(album["label"], "Quiet Records");
  EXPECT_EQ(album["catalogue"], "5012345678900");
  EXPECT_EQ(album["title"], "Night Drive");
  EXPECT_EQ(ws.read(), pushed);

  // A refused value: 400 with the reason, nothing written, nothing pushed.
  r = api("PATCH", base + "/album", {{"label", "Other"}, {"catalogue", "5012345678901"}});
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_NE(json::parse(r.body)
                .value("error", "")
                .find("catalogue: '5012345678901' fails the "
                      "EAN-13 check digit"),
            std::string::npos)
      << r.body;
  for (const json& bad : {json{{"year", 1899}}, json{{"year", "2026"}}, json{{"title", ""}},
                          json{{"colour", "red"}}, json{{"catalogue", "03600029145"}}}) {
    r = api("PATCH", base + "/album", bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << " " << r.body;
    EXPECT_FALSE(json::parse(r.body).value("error", "").empty()) << r.body;
  }
  EXPECT_EQ(http_call(port_, "PATCH", base + "/album", kToken, "not json").status, 400);
  // UPC-A and clearing the year.
  r = api("PATCH", base + "/album", {{"catalogue", "036000291452"}, {"year", nullptr}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["year"].is_null());
  EXPECT_EQ(json::parse(r.body)["label"], "Quiet Records");
  EXPECT_EQ(ws.read(), pushed);  // the next push is this one: the refusals pushed nothing

  // A track's album fields.
  const std::string loud_route = base + "/tracks/" + std::to_string(loud);
  r = api("PATCH", loud_route,
          {{"performer", "The Band"},
           {"songwriter", "A. Writer"},
           {"isrc", "GB-AYE-26-00002"},
           {"pregap_s", 2.0},
           {"crossfade_s", 1.5},
           {"side", "A"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json t = json::parse(r.body)["tracks"][1];
  EXPECT_EQ(t["performer"], "The Band");
  EXPECT_EQ(t["songwriter"], "A. Writer");
  EXPECT_EQ(t["isrc"], "GBAYE2600002");
  EXPECT_EQ(t["pregap_s"], 2.0);
  EXPECT_EQ(t["crossfade_s"], 1.5);
  EXPECT_EQ(t["side"], "A");
  EXPECT_EQ(ws.read(), pushed);

  const auto refused = [&](const std::string& route, const json& body, const std::string& reason) {
    const auto got = api("PATCH", route, body);
    EXPECT_EQ(got.status, 400) << body.dump() << " " << got.body;
    EXPECT_NE(json::parse(got.body).value("error", "").find(reason), std::string::npos)
        << body.dump() << " " << got.body;
  };
  refused(loud_route, {{"isrc", "GBAYE26000"}}, "isrc: 'GBAYE26000' is not an ISRC");
  refused(loud_route, {{"pregap_s", 61}}, "pregap_s: 61.0 is not between 0 and 60.0");
  refused(loud_route, {{"crossfade_s", 5.5}}, "longer than the previous track (5.0 s)");
  refused(loud_route, {{"side", "a"}}, "side: 'a' is not a vinyl side");
  refused(loud_route, {{"pregap_s", "2"}}, "pregap_s: must be a number");
  refused(loud_route, {{"snapshot_id", 999}}, "snapshot_id: snapshot 999 does not exist");
  refused(base + "/tracks/" + std::to_string(intro), {{"crossfade_s", 1.0}},
          "track 1 (Intro): crossfade_s: the first track has no previous track");
  EXPECT_EQ(api("PATCH", base + "/tracks/99999", {{"title", "x"}}).status, 404);

  // The order: every track once, else 400 and the order stays.
  r = api("PUT", base + "/album/order", {{"track_ids", {quiet, loud, intro}}});
  ASSERT_EQ(r.status, 200) << r.body;
  album = json::parse(r.body);
  EXPECT_EQ(album["tracks"][0]["id"], quiet);
  EXPECT_EQ(album["tracks"][2]["id"], intro);
  EXPECT_EQ(album["tracks"][2]["position"], 3);
  EXPECT_EQ(album["spread"]["loudest"], 2);
  EXPECT_EQ(album["spread"]["quietest"], 1);
  // Loud now follows Quiet (4 s): its 1.5 s crossfade still fits.
  EXPECT_EQ(album["tracks"][1]["crossfade_s"], 1.5);
  EXPECT_EQ(ws.read(), pushed);
  for (const json& bad :
       {json{{"track_ids", {quiet, loud}}}, json{{"track_ids", {quiet, quiet, loud}}},
        json{{"track_ids", "1,2,3"}}, json::object()}) {
    r = api("PUT", base + "/album/order", bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << " " << r.body;
    EXPECT_EQ(json::parse(r.body).value("error", "").rfind("track_ids: ", 0), 0U) << r.body;
  }

  // Clients, invited or not, may not read or change the album.
  const auto invite = api("POST", base + "/invites", {{"name", "Artist"}});
  ASSERT_EQ(invite.status, 201) << invite.body;
  const std::string client = json::parse(invite.body)["token"];
  EXPECT_EQ(api("GET", base + "/album", nullptr, client).status, 403);
  EXPECT_EQ(api("PATCH", base + "/album", {{"label", "Mine"}}, client).status, 403);
  EXPECT_EQ(api("PATCH", loud_route, {{"title", "Mine"}}, client).status, 403);
  EXPECT_EQ(api("PUT", base + "/album/order", {{"track_ids", {intro, loud, quiet}}}, client).status,
            403);
  EXPECT_EQ(api("GET", base + "/album", nullptr, "wrong-token").status, 401);
  EXPECT_EQ(api("GET", "/api/sessions/99999/album").status, 404);

  // The file holds what the routes answered.
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait(10000), 0) << daemon_->stderr_text();
  daemon_.reset();
  auto store = session::Store::open(dir_ + "/lacquer.db");
  const auto release = store->session(session);
  ASSERT_TRUE(release.ok());
  EXPECT_FALSE(release->year);
  EXPECT_EQ(release->label, "Quiet Records");
  EXPECT_EQ(release->catalogue, "036000291452");
  const auto tracks = store->tracks(session);
  ASSERT_TRUE(tracks.ok());
  ASSERT_EQ(tracks->size(), 3U);
  EXPECT_EQ((*tracks)[0].id, quiet);
  EXPECT_EQ((*tracks)[1].isrc, "GBAYE2600002");
  EXPECT_EQ((*tracks)[1].side, "A");
  EXPECT_EQ((*tracks)[1].title, "Loud");
}

TEST_F(AlbumRoutesTest, TheAlbumIsEditedOverTheWebSocketAsOverHttp) {
  const auto s = api("POST", "/api/sessions", {{"title", "Night Drive"}, {"artist", "The Band"}});
  ASSERT_EQ(s.status, 201) << s.body;
  const int session = json::parse(s.body)["id"];
  const int first = add_tone(session, "First", 4.0, -20.0);
  const int second = add_tone(session, "Second", 4.0, -20.0);

  WsClient editor(port_), watcher(port_);
  for (WsClient* ws : {&editor, &watcher}) {
    ASSERT_EQ(ws->call({{"op", "auth"}, {"token", kToken}}).value("role", ""), "engineer");
  }
  ASSERT_EQ(watcher.call({{"op", "subscribe"}, {"topics", {"params"}}}).value("ok", false), true);
  const json pushed{{"op", "album"}, {"session_id", session}};

  json r = editor.call({{"op", "album.set"}, {"session", session}, {"fields", {{"catalogue", "5012345678900"}, {"year", 2026}}}});
  ASSERT_EQ(r.value("ok", false), true) << r.dump();
  EXPECT_EQ(r["album"]["catalogue"], "5012345678900");
  EXPECT_EQ(watcher.read(), pushed);
  r = editor.call({{"op", "album.track"}, {"session", session}, {"track", second}, {"fields", {{"isrc", "GBAYE2600002"}, {"pregap_s", 2.0}}}});
  ASSERT_EQ(r.value("ok", false), true) << r.dump();
  EXPECT_EQ(r["album"]["tracks"][1]["isrc"], "GBAYE2600002");
  EXPECT_EQ(watcher.read(), pushed);
  r = editor.call({{"op", "album.order"}, {"session", session}, {"track_ids", {second, first}}});
  ASSERT_EQ(r.value("ok", false), true) << r.dump();
  EXPECT_EQ(r["album"]["tracks"][0]["id"], second);
  EXPECT_EQ(watcher.read(), pushed);
  // What HTTP reads is what the WebSocket wrote, and "album" reads it too.
  const json over_http = json::parse(api("GET", "/api/sessions/" + std::to_string(session) + "/album").body);
  EXPECT_EQ(over_http["tracks"][0]["id"], second);
  EXPECT_EQ(over_http["year"], 2026);
  EXPECT_EQ(editor.call({{"op", "album"}, {"session", session}})["album"]["catalogue"], "5012345678900");

  // Refusals carry the reason and change nothing.
  r = editor.call({{"op", "album.set"}, {"session", session}, {"fields", {{"catalogue", "5012345678901"}}}});
  EXPECT_EQ(r["op"], "error");
  EXPECT_NE(r.value("message", "").find("EAN-13 check digit"), std::string::npos) << r.dump();
  r = editor.call({{"op", "album.track"}, {"session", session}, {"track", first}, {"fields", {{"isrc", "GBAYE26000"}}}});
  EXPECT_EQ(r["op"], "error");
  EXPECT_NE(r.value("message", "").find("isrc"), std::string::npos) << r.dump();
  EXPECT_EQ(editor.call({{"op", "album.set"}, {"session", session}})["message"], "fields: is an object of the album's fields");
  EXPECT_EQ(editor.call({{"op", "album"}, {"session", "3"}})["code"], "bad_request");
  EXPECT_EQ(editor.call({{"op", "album.order"}, {"session", session}, {"track_ids", {first}}})["op"], "error");
  EXPECT_EQ(editor.call({{"op", "album"}, {"session", 999}})["code"], "not_found");
  EXPECT_EQ(json::parse(api("GET", "/api/sessions/" + std::to_string(session) + "/album").body)["tracks"][0]["id"], second);
  // A client invited to the session may not edit its album.
  const auto invite = api("POST", "/api/sessions/" + std::to_string(session) + "/invites", {{"name", "Artist"}});
  ASSERT_EQ(invite.status, 201) << invite.body;
  WsClient guest(port_);
  ASSERT_EQ(guest.call({{"op", "auth"}, {"token", json::parse(invite.body)["token"]}}).value("role", ""), "client");
  r = guest.call({{"op", "album.set"}, {"session", session}, {"fields", {{"label", "Mine"}}}});
  EXPECT_EQ(r["code"], "forbidden") << r.dump();
  EXPECT_EQ(json::parse(api("GET", "/api/sessions/" + std::to_string(session) + "/album").body)["label"], "");
}

TEST_F(AlbumRoutesTest, ANewOrderReachesTheOpenSessionsPlayer) {
  const auto s = api("POST", "/api/sessions", {{"title", "Order"}});
  const int session = json::parse(s.body)["id"].get<int>();
  const std::string base = "/api/sessions/" + std::to_string(session);
  const int first = add_tone(session, "First", 5.0, -20.0);
  const int second = add_tone(session, "Second", 7.0, -20.0);
  ASSERT_EQ(api("POST", base + "/open").status, 200);
  const auto transport = [&] { return json::parse(api("GET", "/api/state").body)["transport"]; };
  const auto wait_for = [&](auto done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done(transport()) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    return transport();
  };
  // The player takes the playlist at its next period.
  EXPECT_NEAR(wait_for([](const json& t) { return t["duration_s"].get<double>() > 0.0; })["duration_s"].get<double>(),
              5.0, 0.01);

  // The 5 s track is second now; the transport stays on it, at its new index.
  ASSERT_EQ(api("PUT", base + "/album/order", {{"track_ids", {second, first}}}).status, 200);
  auto t = wait_for([](const json& transport) { return transport["track"] == 1; });
  EXPECT_EQ(t["track"], 1);
  EXPECT_NEAR(t["duration_s"].get<double>(), 5.0, 0.01);
  // Selecting track 0 plays the 7 s one.
  WsClient control(port_);
  ASSERT_EQ(control.call({{"op", "auth"}, {"token", kToken}}).value("ok", false), true);
  control.call({{"op", "set"}, {"path", "/transport/track"}, {"value", 0}});
  t = wait_for([](const json& transport) { return transport["track"] == 0; });
  EXPECT_NEAR(t["duration_s"].get<double>(), 7.0, 0.01);
}

TEST_F(AlbumRoutesTest, EachTrackPlaysWithTheChainItWasLeftWith) {
  const auto s = api("POST", "/api/sessions", {{"title", "Chains"}});
  const int session = json::parse(s.body)["id"].get<int>();
  const std::string base = "/api/sessions/" + std::to_string(session);
  add_tone(session, "One", 3.0, -20.0);
  add_tone(session, "Two", 3.0, -20.0);
  ASSERT_EQ(api("POST", base + "/open").status, 200);
  WsClient control(port_);
  ASSERT_EQ(control.call({{"op", "auth"}, {"token", kToken}}).value("ok", false), true);
  const auto set = [&](const std::string& path, const json& value) {
    return control.call({{"op", "set"}, {"path", path}, {"value", value}});
  };
  const auto gain_becomes = [&](double want) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    double got = 0.0;
    do {
      std::this_thread::sleep_for(50ms);
      got = json::parse(api("GET", "/api/state").body)["values"]["/chain/output/gain"].get<double>();
    } while (std::abs(got - want) > 1e-9 && std::chrono::steady_clock::now() < deadline);
    return got;
  };
  set("/chain/output/gain", -3.0);
  set("/transport/track", 1);
  EXPECT_EQ(gain_becomes(-3.0), -3.0);  // a track with no chain of its own keeps this one
  set("/chain/output/gain", -6.0);
  set("/transport/track", 0);
  EXPECT_EQ(gain_becomes(-3.0), -3.0);  // track one as it was left
  set("/transport/track", 1);
  EXPECT_EQ(gain_becomes(-6.0), -6.0);  // and track two
}

TEST_F(AlbumRoutesTest, OpeningASessionRecallsItsFirstTracksChainBeforeAnyCommand) {
  const auto session_with_track = [&](const char* title) {
    const int id = json::parse(api("POST", "/api/sessions", {{"title", title}}).body)["id"].get<int>();
    add_tone(id, title, 3.0, -20.0);
    return "/api/sessions/" + std::to_string(id);
  };
  const std::string first = session_with_track("First");
  const std::string second = session_with_track("Second");
  WsClient control(port_);
  ASSERT_EQ(control.call({{"op", "auth"}, {"token", kToken}}).value("ok", false), true);
  const auto gain_now = [&] {
    return json::parse(api("GET", "/api/state").body)["values"]["/chain/output/gain"].get<double>();
  };
  ASSERT_EQ(api("POST", first + "/open").status, 200);
  control.call({{"op", "set"}, {"path", "/chain/output/gain"}, {"value", -4.0}});
  ASSERT_EQ(api("POST", second + "/open").status, 200);
  control.call({{"op", "set"}, {"path", "/chain/output/gain"}, {"value", -1.0}});
  // Read straight after the open, with no wait for the transport's next report: a command
  // made now already acts on the first session's chain.
  ASSERT_EQ(api("POST", first + "/open").status, 200);
  EXPECT_EQ(gain_now(), -4.0);
  ASSERT_EQ(api("POST", second + "/open").status, 200);
  EXPECT_EQ(gain_now(), -1.0);
}

TEST_F(AlbumRoutesTest, FeedbackScopesAreFormDecoded) {
  ASSERT_EQ(api("POST", "/api/sessions", {{"title", "Orbit"}, {"client", "Nova Records"}}).status, 201);
  for (const char* query : {"?client=Nova%20Records", "?client=Nova+Records"}) {
    const auto r = api("GET", std::string("/api/feedback") + query);
    ASSERT_EQ(r.status, 200) << r.body;
    const json f = json::parse(r.body);
    EXPECT_EQ(f["scope"]["client"], "Nova Records") << query;
    EXPECT_EQ(f["sessions"], 1) << r.body;
  }
  EXPECT_EQ(api("GET", "/api/feedback?client=Nova%2").status, 400);
}

TEST_F(AlbumRoutesTest, ASnapshotStoredRightAfterATrackChangeLandsOnThatTrack) {
  const auto s = api("POST", "/api/sessions", {{"title", "Quick hands"}});
  const int session = json::parse(s.body)["id"].get<int>();
  const std::string base = "/api/sessions/" + std::to_string(session);
  const int ids[2] = {add_tone(session, "One", 3.0, -20.0), add_tone(session, "Two", 3.0, -20.0)};
  ASSERT_EQ(api("POST", base + "/open").status, 200);
  WsClient control(port_);
  ASSERT_EQ(control.call({{"op", "auth"}, {"token", kToken}}).value("ok", false), true);
  for (int i = 0; i < 8; ++i) {
    control.call({{"op", "set"}, {"path", "/transport/track"}, {"value", (i + 1) % 2}});
    control.call({{"op", "set"}, {"path", "/snapshot/store"}, {"value", "S" + std::to_string(i)}});
  }
  const json snapshots = json::parse(api("GET", base + "/snapshots").body);
  ASSERT_EQ(snapshots.size(), 8U) << snapshots;
  for (const auto& snap : snapshots) {
    const int i = std::stoi(snap["name"].get<std::string>().substr(1));
    EXPECT_EQ(snap["track"], ids[(i + 1) % 2]) << snap["name"];
  }
}

}  // namespace
}  // namespace lacquer::test
