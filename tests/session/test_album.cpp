// The album: its rules (ISRC, EAN-13/UPC-A, year, gaps, crossfades, sides), the store's
// album writes on a real file, its JSON and a hand-written album.json.
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "lacquer/session/album.hpp"
#include "lacquer/session/store.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;
using nlohmann::json;

namespace {

std::string refusal(const ls::Result<void>& r) {
  return r ? std::string() : r.error().message;
}
template <class T>
std::string refusal(const ls::Result<T>& r) {
  return r ? std::string() : r.error().message;
}

std::string sha(char c) {
  return std::string(64, c);
}

class AlbumStore : public ::testing::Test {
 protected:
  void SetUp() override {
    store = ls::Store::open(dir / "lacquer.db");
    session = store->create_session({.title = "Night Drive", .artist = "The Band"})->id;
    for (char c : {'1', '2', '3'}) {
      auto t = store->add_track({.session_id = session,
                                 .file_path = std::string("/mix/") + c + ".wav",
                                 .file_sha256 = sha(c),
                                 .title = std::string("Song ") + c});
      ids.push_back(t->id);
    }
  }
  // A source analysis as the daemon stores it (analyze --json's track object).
  void analyse(char c, double lufs, double duration_s) {
    auto r = store->add_report(
        session, std::nullopt, ls::ReportKind::source, sha(c),
        {{"duration_s", duration_s},
         {"loudness", {{"integrated_lufs", lufs}, {"lra_lu", 4.5}, {"true_peak_dbtp", -0.7}}},
         {"waveform", {{"min", json::array()}}}});
    ASSERT_TRUE(r) << r.error().message;
  }
  std::vector<std::string> titles() {
    std::vector<std::string> out;
    for (const auto& t : *store->tracks(session)) out.push_back(t.title);
    return out;
  }

  ls::testing::TempDir dir;
  std::unique_ptr<ls::Store> store;
  ls::Id session = 0;
  std::vector<ls::Id> ids;
};

}  // namespace

TEST(AlbumRules, Isrc) {
  EXPECT_EQ(ls::check_isrc("GBAYE2600001").value(), "GBAYE2600001");
  EXPECT_EQ(ls::check_isrc("gb-aye-26-00001").value(), "GBAYE2600001");
  EXPECT_EQ(ls::check_isrc("").value(), "");
  for (const char* bad : {"GBAYE260000", "GBAYE26000011", "1BAYE2600001", "GBAY-E26000A1",
                          "GB_YE2600001", "GBAYE26O0001"}) {
    const auto msg = refusal(ls::check_isrc(bad));
    EXPECT_EQ(msg.rfind("isrc: '", 0), 0u) << bad << ": " << msg;
    EXPECT_NE(msg.find("^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$"), std::string::npos) << msg;
  }
}

TEST(AlbumRules, CatalogueCheckDigit) {
  // EAN-13 examples of GS1 and of an ISBN; UPC-A of a retail product.
  for (const char* good :
       {"4006381333931", "9780306406157", "5012345678900", "036000291452", "012345678905"}) {
    EXPECT_TRUE(ls::gtin_check_digit_ok(good)) << good;
    EXPECT_EQ(ls::check_catalogue(good).value(), good);
  }
  EXPECT_EQ(ls::check_catalogue("4 006381 333931").value(), "4006381333931");
  EXPECT_EQ(ls::check_catalogue("").value(), "");
  // Every wrong check digit of a valid number is refused.
  for (char d = '0'; d <= '9'; ++d) {
    std::string ean = "400638133393";
    ean += d;
    EXPECT_EQ(ls::gtin_check_digit_ok(ean), d == '1') << ean;
  }
  auto msg = refusal(ls::check_catalogue("4006381333932"));
  EXPECT_NE(msg.find("catalogue: '4006381333932' fails the EAN-13 check digit"), std::string::npos)
      << msg;
  msg = refusal(ls::check_catalogue("036000291453"));
  EXPECT_NE(msg.find("UPC-A check digit"), std::string::npos) << msg;
  for (const char* bad : {"40063813339", "40063813339310", "40063813339a1", "ean"}) {
    msg = refusal(ls::check_catalogue(bad));
    EXPECT_NE(msg.find("is not an EAN-13 (13 digits) or UPC-A (12 digits)"), std::string::npos)
        << bad << ": " << msg;
    EXPECT_FALSE(ls::gtin_check_digit_ok(bad));
  }
}

TEST(AlbumRules, YearGapsCrossfadesSides) {
  EXPECT_TRUE(ls::check_year(std::nullopt));
  EXPECT_TRUE(ls::check_year(1900));
  EXPECT_TRUE(ls::check_year(2100));
  EXPECT_EQ(refusal(ls::check_year(1899)), "year: 1899 is not between 1900 and 2100");
  EXPECT_FALSE(ls::check_year(2101));

  EXPECT_TRUE(ls::check_pregap(0.0));
  EXPECT_TRUE(ls::check_pregap(60.0));
  EXPECT_EQ(refusal(ls::check_pregap(60.5)), "pregap_s: 60.5 is not between 0 and 60.0 seconds");
  EXPECT_FALSE(ls::check_pregap(-0.1));
  EXPECT_FALSE(ls::check_pregap(std::nan("")));

  EXPECT_TRUE(ls::check_crossfade(0.0, true, std::nullopt));
  EXPECT_TRUE(ls::check_crossfade(30.0, false, std::nullopt));
  EXPECT_TRUE(ls::check_crossfade(3.0, false, 3.0));
  EXPECT_FALSE(ls::check_crossfade(30.5, false, std::nullopt));
  EXPECT_FALSE(ls::check_crossfade(-1.0, false, std::nullopt));
  EXPECT_NE(refusal(ls::check_crossfade(1.0, true, std::nullopt)).find("first track"),
            std::string::npos);
  EXPECT_EQ(refusal(ls::check_crossfade(3.5, false, 3.0)),
            "crossfade_s: 3.5 s is longer than the previous track (3.0 s)");

  EXPECT_TRUE(ls::check_side(""));
  EXPECT_TRUE(ls::check_side("A"));
  EXPECT_TRUE(ls::check_side("Z"));
  for (const char* bad : {"a", "AB", "1", "Ä"}) {
    EXPECT_EQ(refusal(ls::check_side(bad)).rfind("side: ", 0), 0u) << bad;
  }
}

TEST_F(AlbumStore, ReleaseMetadataRoundTripAndRefusals) {
  auto s = store->update_release(
      session, {.year = 2026, .label = "Quiet Records", .catalogue = "5012345678900"});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->title, "Night Drive");  // untouched
  EXPECT_EQ(s->year, 2026);
  EXPECT_EQ(s->label, "Quiet Records");
  EXPECT_EQ(s->catalogue, "5012345678900");

  // A refused value writes nothing, not even the valid fields beside it.
  auto bad = store->update_release(session, {.title = "Other", .catalogue = "5012345678901"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ls::ErrorCode::invalid_argument);
  EXPECT_NE(bad.error().message.find("catalogue:"), std::string::npos);
  EXPECT_EQ(store->session(session)->title, "Night Drive");
  EXPECT_FALSE(store->update_release(session, {.year = 1850}));
  EXPECT_FALSE(store->update_release(session, {.title = ""}));

  // A held nullopt clears the year; the store reads it back from a fresh connection.
  ASSERT_TRUE(store->update_release(session, {.year = std::optional<int>{}, .catalogue = ""}));
  store = ls::Store::open(dir / "lacquer.db");
  EXPECT_FALSE(store->session(session)->year);
  EXPECT_EQ(store->session(session)->catalogue, "");
  EXPECT_EQ(store->session(session)->label, "Quiet Records");
  EXPECT_EQ(store->update_release(999, {.label = "x"}).error().code, ls::ErrorCode::not_found);
}

TEST_F(AlbumStore, TrackFieldsAndSnapshot) {
  auto t = store->update_track(ids[1], {.performer = "The Band",
                                        .songwriter = "A. Writer",
                                        .isrc = "gb-aye-26-00002",
                                        .pregap_s = 2.0,
                                        .crossfade_s = 1.5,
                                        .side = "B"});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->title, "Song 2");
  EXPECT_EQ(t->performer, "The Band");
  EXPECT_EQ(t->songwriter, "A. Writer");
  EXPECT_EQ(t->isrc, "GBAYE2600002");
  EXPECT_DOUBLE_EQ(t->gap_before_s, 2.0);
  EXPECT_DOUBLE_EQ(t->crossfade_s, 1.5);
  EXPECT_EQ(t->side, "B");

  // The first track has nothing to crossfade from.
  auto first = store->update_track(ids[0], {.crossfade_s = 1.0});
  ASSERT_FALSE(first);
  EXPECT_NE(first.error().message.find("track 1 (Song 1): crossfade_s: the first track"),
            std::string::npos)
      << first.error().message;
  EXPECT_FALSE(store->update_track(ids[1], {.isrc = "GB-AYE-26"}));
  EXPECT_FALSE(store->update_track(ids[1], {.side = "b"}));
  EXPECT_FALSE(store->update_track(ids[1], {.pregap_s = 61.0}));
  EXPECT_EQ(store->track(ids[1])->isrc, "GBAYE2600002");

  // A crossfade longer than the previous track (known from its analysis) is refused.
  analyse('1', -12.0, 20.0);
  EXPECT_TRUE(store->update_track(ids[1], {.crossfade_s = 20.0}));
  auto too_long = store->update_track(ids[1], {.crossfade_s = 20.5});
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("longer than the previous track (20.0 s)"),
            std::string::npos)
      << too_long.error().message;
  EXPECT_DOUBLE_EQ(store->track(ids[1])->crossfade_s, 20.0);

  // The snapshot must be one of this track's.
  auto mine = store->store_snapshot(ids[1], "A", {{"/chain/eq/1/gain", 1.5}});
  auto later = store->store_snapshot(ids[1], "B", {{"/chain/eq/1/gain", 3.0}});
  auto other = store->store_snapshot(ids[2], "A", {{"/chain/eq/1/gain", 1.0}});
  EXPECT_EQ(store->track(ids[1])->snapshot_id, later->id);
  ASSERT_TRUE(store->update_track(ids[1], {.snapshot_id = mine->id}));
  EXPECT_EQ(store->track(ids[1])->snapshot_id, mine->id);
  auto foreign = store->update_track(ids[1], {.snapshot_id = other->id});
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message.find("belongs to track"), std::string::npos);
  EXPECT_FALSE(store->update_track(ids[1], {.snapshot_id = 9999}));
  ASSERT_TRUE(store->update_track(ids[1], {.snapshot_id = std::optional<ls::Id>{}}));
  EXPECT_FALSE(store->track(ids[1])->snapshot_id);
  EXPECT_EQ(store->update_track(9999, {.title = "x"}).error().code, ls::ErrorCode::not_found);
}

TEST_F(AlbumStore, ReorderIsOneTransaction) {
  ASSERT_TRUE(store->update_track(ids[2], {.crossfade_s = 4.0}));
  auto r = store->reorder_tracks(session, {ids[2], ids[0], ids[1]});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(titles(), (std::vector<std::string>{"Song 3", "Song 1", "Song 2"}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ((*r)[i].position, i + 1);
  EXPECT_DOUBLE_EQ(store->track(ids[2])->crossfade_s, 0.0);  // first now: nothing before it

  // Refusals leave the order as it was.
  for (const auto& bad : std::vector<std::vector<ls::Id>>{
           {ids[0], ids[1]}, {ids[0], ids[1], ids[1]}, {ids[0], ids[1], ids[2], 9999}, {}}) {
    auto no = store->reorder_tracks(session, bad);
    ASSERT_FALSE(no);
    EXPECT_EQ(no.error().code, ls::ErrorCode::invalid_argument);
    EXPECT_EQ(no.error().message.rfind("track_ids: ", 0), 0u) << no.error().message;
  }
  EXPECT_EQ(titles(), (std::vector<std::string>{"Song 3", "Song 1", "Song 2"}));

  // A crossfade is checked against the track now before it, on edits and on moves.
  analyse('1', -10.0, 5.0);
  analyse('3', -10.0, 100.0);
  EXPECT_FALSE(store->update_track(ids[1], {.crossfade_s = 8.0}));  // after Song 1 (5 s)
  ASSERT_TRUE(store->reorder_tracks(session, {ids[0], ids[2], ids[1]}));
  ASSERT_TRUE(store->update_track(ids[1], {.crossfade_s = 8.0}));  // after Song 3 (100 s)
  auto moved = store->reorder_tracks(session, {ids[2], ids[0], ids[1]});
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().message.find("track 3 (Song 2): crossfade_s: 8.0 s is longer"),
            std::string::npos)
      << moved.error().message;
  EXPECT_EQ(titles(), (std::vector<std::string>{"Song 1", "Song 3", "Song 2"}));
  EXPECT_EQ(store->integrity_check().value(), "ok");
}

TEST_F(AlbumStore, JsonWithAnalysisSpreadAndSnapshots) {
  ASSERT_TRUE(store->update_release(
      session, {.year = 2026, .label = "Quiet Records", .catalogue = "036000291452"}));
  ASSERT_TRUE(store->update_track(ids[0], {.isrc = "GBAYE2600001", .pregap_s = 2.0, .side = "A"}));
  auto snap = store->store_snapshot(ids[1], "A", {{"/chain/eq/1/gain", 1.5}});
  analyse('1', -9.8, 180.0);
  analyse('2', -11.9, 200.0);

  auto j = ls::album_json(*store, session, false);
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ((*j)["session_id"], session);
  EXPECT_EQ((*j)["title"], "Night Drive");
  EXPECT_EQ((*j)["artist"], "The Band");
  EXPECT_EQ((*j)["year"], 2026);
  EXPECT_EQ((*j)["label"], "Quiet Records");
  EXPECT_EQ((*j)["catalogue"], "036000291452");
  const auto& tracks = (*j)["tracks"];
  ASSERT_EQ(tracks.size(), 3u);
  EXPECT_EQ(tracks[0]["id"], ids[0]);
  EXPECT_EQ(tracks[0]["position"], 1);
  EXPECT_EQ(tracks[0]["isrc"], "GBAYE2600001");
  EXPECT_EQ(tracks[0]["file"], "/mix/1.wav");
  EXPECT_EQ(tracks[0]["file_sha256"], sha('1'));
  EXPECT_EQ(tracks[0]["pregap_s"], 2.0);
  EXPECT_EQ(tracks[0]["crossfade_s"], 0.0);
  EXPECT_EQ(tracks[0]["side"], "A");
  EXPECT_TRUE(tracks[0]["snapshot_id"].is_null());
  EXPECT_FALSE(tracks[0].contains("snapshot"));  // GET leaves the chain states out
  EXPECT_EQ(tracks[1]["snapshot_id"], snap->id);
  EXPECT_EQ(tracks[0]["analysis"]["integrated_lufs"], -9.8);
  EXPECT_EQ(tracks[0]["analysis"]["lra_lu"], 4.5);
  EXPECT_EQ(tracks[0]["analysis"]["true_peak_dbtp"], -0.7);
  EXPECT_EQ(tracks[0]["analysis"]["duration_s"], 180.0);
  EXPECT_TRUE(tracks[2]["analysis"].is_null());
  EXPECT_NEAR((*j)["spread"]["loudness_spread_lu"].get<double>(), 2.1, 1e-9);
  EXPECT_EQ((*j)["spread"]["loudest"], 1);
  EXPECT_EQ((*j)["spread"]["quietest"], 2);

  auto full = ls::album_json(*store, session, true);
  ASSERT_TRUE(full);
  EXPECT_TRUE((*full)["tracks"][0]["snapshot"].is_null());  // the schema's defaults
  EXPECT_EQ((*full)["tracks"][1]["snapshot"], json({{"/chain/eq/1/gain", 1.5}}));

  // The album read back through the parser is the same album.
  auto parsed = ls::album_from_json(*full);
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto stored = ls::album_from_store(*store, session);
  ASSERT_TRUE(stored);
  EXPECT_EQ(parsed->catalogue, stored->catalogue);
  ASSERT_EQ(parsed->tracks.size(), 3u);
  EXPECT_EQ(parsed->tracks[1].snapshot, stored->tracks[1].snapshot);
  EXPECT_EQ(parsed->tracks[1].id, ids[1]);
  EXPECT_EQ(stored->tracks[0].duration_s, 180.0);

  // Spread needs two analysed tracks; a silent track (null loudness) is not counted.
  ls::testing::TempDir other;
  auto s2 = ls::Store::open(other / "two.db");
  const auto id2 = s2->create_session({.title = "Single"})->id;
  ASSERT_TRUE(s2->add_track({.session_id = id2, .file_path = "/a.wav", .file_sha256 = sha('a')}));
  ASSERT_TRUE(s2->add_track({.session_id = id2, .file_path = "/b.wav", .file_sha256 = sha('b')}));
  ASSERT_TRUE(s2->add_report(id2, std::nullopt, ls::ReportKind::source, sha('a'),
                             {{"loudness", {{"integrated_lufs", -14.0}}}}));
  ASSERT_TRUE(s2->add_report(id2, std::nullopt, ls::ReportKind::source, sha('b'),
                             {{"loudness", {{"integrated_lufs", nullptr}}}}));
  // A file whose analysis failed has no figures.
  ASSERT_TRUE(s2->add_track({.session_id = id2, .file_path = "/c.wav", .file_sha256 = sha('c')}));
  ASSERT_TRUE(s2->add_report(id2, std::nullopt, ls::ReportKind::source, sha('c'),
                             {{"file", "/c.wav"}, {"error", "not an audio file"}}));
  auto j2 = ls::album_json(*s2, id2, false);
  ASSERT_TRUE(j2);
  EXPECT_TRUE((*j2)["spread"].is_null());
  EXPECT_TRUE((*j2)["tracks"][1]["analysis"]["integrated_lufs"].is_null());
  EXPECT_TRUE((*j2)["tracks"][2]["analysis"].is_null());
  EXPECT_EQ(ls::album_json(*s2, 999, false).error().code, ls::ErrorCode::not_found);
}

TEST(AlbumJson, HandWrittenAlbum) {
  const json good = {
      {"title", "Night Drive"},
      {"artist", "The Band"},
      {"year", 2026},
      {"catalogue", "4006381333931"},
      {"tracks",
       {{{"title", "Intro"}, {"file", "mix1.wav"}, {"isrc", "gb-aye-26-00001"}, {"side", "A"}},
        {{"title", "Drive"},
         {"file", "/abs/mix2.wav"},
         {"file_sha256", std::string(64, 'F')},
         {"pregap_s", 0.5},
         {"crossfade_s", 3},
         {"snapshot", {{"/chain/limiter/ceiling", -1.0}}}}}}};
  auto a = ls::album_from_json(good);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_FALSE(a->session_id);
  EXPECT_EQ(a->year, 2026);
  ASSERT_EQ(a->tracks.size(), 2u);
  EXPECT_EQ(a->tracks[0].position, 1);  // from the array's order
  EXPECT_EQ(a->tracks[0].isrc, "GBAYE2600001");
  EXPECT_EQ(a->tracks[0].file, "mix1.wav");
  EXPECT_TRUE(a->tracks[0].snapshot.is_null());
  EXPECT_EQ(a->tracks[1].file_sha256, std::string(64, 'f'));
  EXPECT_DOUBLE_EQ(a->tracks[1].crossfade_s, 3.0);
  EXPECT_EQ(a->tracks[1].snapshot["/chain/limiter/ceiling"], -1.0);

  // Positions given on every track set the order.
  json positioned = good;
  positioned["tracks"][0]["position"] = 2;
  positioned["tracks"][1]["position"] = 1;
  positioned["tracks"][1]["crossfade_s"] = 0;
  auto p = ls::album_from_json(positioned);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->tracks[0].title, "Drive");

  const auto refused = [&](const std::function<void(json&)>& edit) {
    json j = good;
    edit(j);
    auto r = ls::album_from_json(j);
    EXPECT_FALSE(r) << j.dump();
    return r ? std::string() : r.error().message;
  };
  EXPECT_EQ(refused([](json& j) { j["catalogue"] = "4006381333932"; }).rfind("catalogue: ", 0), 0u);
  EXPECT_EQ(refused([](json& j) { j.erase("title"); }), "title: is required");
  EXPECT_EQ(refused([](json& j) { j["year"] = "2026"; }), "year: must be an integer");
  EXPECT_EQ(refused([](json& j) { j["year"] = 1800; }).rfind("year: 1800", 0), 0u);
  EXPECT_EQ(refused([](json& j) { j["colour"] = "red"; }),
            "colour: is not a field of the album contract");
  EXPECT_EQ(refused([](json& j) { j["tracks"] = json::array(); }).rfind("tracks: ", 0), 0u);
  EXPECT_EQ(refused([](json& j) { j["tracks"][1].erase("file"); }), "tracks[1].file: is required");
  EXPECT_EQ(
      refused([](json& j) { j["tracks"][1]["isrc"] = "GB1"; }).rfind("tracks[1].isrc: 'GB1'", 0),
      0u);
  EXPECT_EQ(refused([](json& j) { j["tracks"][1]["file_sha256"] = "abc"; }),
            "tracks[1].file_sha256: must be 64 hexadecimal digits");
  EXPECT_EQ(refused([](json& j) { j["tracks"][0]["crossfade_s"] = 1; }),
            "track 1 (Intro): crossfade_s: the first track has no previous track to crossfade "
            "from");
  EXPECT_EQ(refused([](json& j) {
              j["tracks"][1]["pregap_s"] = 75;
            }).rfind("track 2 (Drive): pregap_s", 0),
            0u);
  EXPECT_EQ(
      refused([](json& j) { j["tracks"][1]["side"] = "b"; }).rfind("track 2 (Drive): side", 0), 0u);
  EXPECT_EQ(refused([](json& j) { j["tracks"][0]["position"] = 1; }).rfind("tracks: give", 0), 0u);
  EXPECT_EQ(refused([](json& j) {
              j["tracks"][0]["position"] = 1;
              j["tracks"][1]["position"] = 3;
            }).rfind("track 3 (Drive): position", 0),
            0u);
  EXPECT_EQ(refused([](json& j) { j["tracks"][1]["snapshot"] = 5; }),
            "track 2 (Drive): snapshot: must be an object of parameter paths to values");
  EXPECT_EQ(refused([](json& j) { j = json::array(); }), "album: must be a JSON object");
}
