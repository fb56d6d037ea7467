// Deliveries inside `lacquer serve` (jackd -d dummy, a temporary database), end to end: a
// session made through the HTTP API with four generated tracks of different loudness, a
// pregap, a crossfade and vinyl sides, delivered by the daemon as CD, hi-res and vinyl; the
// progress of each format and the outcome pushed to an engineer's WebSocket; the files
// downloaded with the engineer token and read by tools that are not ours (cuetools,
// metaflac, flac, sox, sha256sum). Refusals: bad options, clients, other sessions' and
// unlisted paths (traversal), no token; a failed rule fails the delivery, and an override
// lets the same one through; the state survives a restart.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "music.hpp"
#include "process_helpers.hpp"
#include "serve_fixture.hpp"
#include "ws_client.hpp"

namespace lacquer::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kToken = "deliver-token";

analysis::test::Audio louder(analysis::test::Audio a, double db) {
  for (auto& x : a.x) x = static_cast<float>(static_cast<double>(x) * analysis::test::gain(db));
  return a;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs a shell command in `dir`: exit code and stdout.
std::pair<int, std::string> shell(const std::string& cmd, const fs::path& dir) {
  const fs::path out = dir / "shell.out";
  const int status = std::system(("cd '" + dir.string() + "' && (" + cmd + ") > '" + out.string() + "' 2>&1").c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out)};
}

class DeliveryRoutesTest : public ServeFixture {
 protected:
  DeliveryRoutesTest() : ServeFixture(kToken, "lqd") {}

  HttpResult api(const std::string& method, const std::string& path, const json& body = nullptr,
                 const std::string& token = kToken) {
    return call(token, method, path, body);
  }

  /// A session "Night Drive" of four tracks: loud, quiet (10 dB down, a 2 s pregap), a
  /// crossfade of 1.5 s into the third, sides A (1-2) and B (3-4). Returns its base route.
  std::string make_album() {
    const auto s = api("POST", "/api/sessions", {{"title", "Night Drive"}, {"artist", "The Band"}});
    EXPECT_EQ(s.status, 201) << s.body;
    session_ = json::parse(s.body)["id"].get<int>();
    const std::string base = "/api/sessions/" + std::to_string(session_);
    const double gains[] = {3.0, -7.0, 0.0, -3.0};
    const double lengths[] = {7.0, 6.0, 8.0, 5.0};
    const char* titles[] = {"Intro", "Slow", "Night", "Coda"};
    for (int i = 0; i < 4; ++i) {
      const std::string file = dir_ + "/" + titles[i] + ".wav";
      EXPECT_TRUE(analysis::test::write_wav(
          file, louder(analysis::test::music(lengths[i], static_cast<unsigned>(i + 1)), gains[i])));
      const auto t = api("POST", base + "/tracks", {{"file", file}, {"title", titles[i]}});
      EXPECT_EQ(t.status, 201) << t.body;
      tracks_.push_back(json::parse(t.body)["id"].get<int>());
    }
    EXPECT_EQ(api("PATCH", base + "/album", {{"year", 2026}, {"label", "Quiet Records"}, {"catalogue", "5012345678900"}})
                  .status,
              200);
    const json fields[] = {{{"isrc", "GBAYE2600001"}, {"side", "A"}, {"songwriter", "A. Writer"}},
                           {{"isrc", "GBAYE2600002"}, {"side", "A"}, {"pregap_s", 2.0}},
                           {{"isrc", "GBAYE2600003"}, {"side", "B"}, {"pregap_s", 1.0}, {"crossfade_s", 1.5}},
                           {{"isrc", "GBAYE2600004"}, {"side", "B"}, {"pregap_s", 0.5}}};
    for (int i = 0; i < 4; ++i) {
      const auto r = api("PATCH", base + "/tracks/" + std::to_string(tracks_[static_cast<std::size_t>(i)]), fields[i]);
      EXPECT_EQ(r.status, 200) << r.body;
    }
    return base;
  }

  /// Pushes of delivery `id` until it ends; returns the last, and each format's fractions.
  json follow(WsClient& ws, int id, std::map<std::string, std::vector<double>>& fractions) {
    for (;;) {
      const json m = ws.read();
      if (m.value("op", "") != "delivery" || m["delivery"]["id"] != id) continue;
      for (const auto& [format, f] : m["delivery"]["progress"].items()) fractions[format].push_back(f.get<double>());
      const std::string state = m["delivery"]["state"];
      if (state != "queued" && state != "running") return m["delivery"];
    }
  }

  /// A delivered file downloaded with the engineer token into the test's folder.
  fs::path download(const std::string& base, int id, const std::string& file) {
    std::string escaped;
    for (const char c : file) escaped += c == ' ' ? std::string("%20") : std::string(1, c);
    const auto r = http_call(port_, "GET", base + "/deliveries/" + std::to_string(id) + "/files/" + escaped, kToken, "",
                             20000);
    EXPECT_EQ(r.status, 200) << file << " " << r.body.substr(0, 200);
    const fs::path to = fs::path(dir_) / "downloads" / file;
    fs::create_directories(to.parent_path());
    std::ofstream(to, std::ios::binary) << r.body;
    return to;
  }

  int session_ = 0;
  std::vector<int> tracks_;
};

TEST_F(DeliveryRoutesTest, DeliversTheAlbumWithProgressAndDownloads) {
  const std::string base = make_album();
  WsClient ws(port_);
  ASSERT_EQ(ws.call({{"op", "auth"}, {"token", kToken}}).value("role", ""), "engineer");
  ASSERT_EQ(ws.call({{"op", "subscribe"}, {"topics", {"params"}}}).value("ok", false), true);

  auto r = api("POST", base + "/deliveries", {{"formats", {"cd", "hires", "vinyl"}}});
  ASSERT_EQ(r.status, 202) << r.body;
  const json queued = json::parse(r.body);
  const int id = queued["id"];
  EXPECT_EQ(queued["state"], "queued");
  EXPECT_EQ(queued["formats"], json({"cd", "hires", "vinyl"}));

  std::map<std::string, std::vector<double>> fractions;
  const json done = follow(ws, id, fractions);
  ASSERT_EQ(done["state"], "done") << done.dump(1);
  // Each format went through fractions between 0 and 1 and ended at 1.
  for (const char* format : {"cd", "hires", "vinyl"}) {
    const auto& f = fractions[format];
    ASSERT_FALSE(f.empty()) << format;
    EXPECT_TRUE(std::any_of(f.begin(), f.end(), [](double x) { return x > 0.0 && x < 1.0; })) << format;
    EXPECT_TRUE(std::is_sorted(f.begin(), f.end())) << format;
    EXPECT_EQ(f.back(), 1.0) << format;
    EXPECT_TRUE(done["reports"][format]["passed"].get<bool>()) << done["reports"].dump(1);
  }
  EXPECT_EQ(api("GET", base + "/deliveries/" + std::to_string(id)).body, done.dump());
  const json listed = json::parse(api("GET", base + "/deliveries").body);
  ASSERT_EQ(listed["deliveries"].size(), 1U);
  EXPECT_EQ(listed["deliveries"][0]["id"], id);

  // The files: downloaded, they are what the deliveries folder holds and SHA256SUMS lists.
  const fs::path folder = fs::path(dir_) / "lacquer.db.deliveries" / done["name"].get<std::string>();
  std::set<std::string> files(done["files"].begin(), done["files"].end());
  for (const char* f : {"cd/album.wav", "cd/album.cue", "cd/compliance.html", "hires/01 Intro.flac",
                        "vinyl/Side A.wav", "vinyl/timing.txt", "SHA256SUMS"}) {
    EXPECT_EQ(files.count(f), 1U) << f;
  }
  for (const auto& f : files) {
    const fs::path got = download(base, id, f);
    EXPECT_EQ(slurp(got), slurp(folder / f)) << f;
  }
  const fs::path dl = fs::path(dir_) / "downloads";
  EXPECT_EQ(shell("sha256sum -c --quiet SHA256SUMS", dl).first, 0);

  // The CD: cueprint reads the album and ISRCs; the breakpoints fall where the pregap and the
  // crossfade put them; metaflac takes the CUE sheet (CATALOG, ISRCs, frames) into a FLAC.
  const auto printed = shell("cueprint -d '%N|%P|%T\\n' -t '%n|%i|%t\\n' cd/album.cue", dl);
  ASSERT_EQ(printed.first, 0) << printed.second;
  EXPECT_NE(printed.second.find("4|The Band|Night Drive"), std::string::npos) << printed.second;
  EXPECT_NE(printed.second.find("3|GBAYE2600003|Night"), std::string::npos) << printed.second;
  const auto breaks = shell("cuebreakpoints cd/album.cue", dl);
  ASSERT_EQ(breaks.first, 0) << breaks.second;
  // m:ss.ff in CD frames: track 2 at 7 s + 2 s of pregap; track 3 1.5 s before track 2's end
  // (13.5 s, down to a frame: 13 s 37 frames); track 4 after track 3's end on a frame (21.49 s,
  // up to 21 s 37 frames) and its 0.5 s pregap (38 frames).
  EXPECT_EQ(breaks.second, "0:09.00\n0:13.37\n0:22.00\n");
  ASSERT_EQ(shell("flac -s -o image.flac cd/album.wav && metaflac --import-cuesheet-from=cd/album.cue image.flac", dl).first,
            0);
  EXPECT_NE(shell("metaflac --export-cuesheet-to=- image.flac", dl).second.find("CATALOG 5012345678900"),
            std::string::npos);

  // Hi-res: tags by metaflac; loudness kept apart (10 dB between the first two sources).
  const auto tags = shell("metaflac --export-tags-to=- 'hires/02 Slow.flac'", dl).second;
  for (const char* want : {"TITLE=Slow\n", "ISRC=GBAYE2600002\n", "LABEL=Quiet Records\n", "BARCODE=5012345678900\n"}) {
    EXPECT_NE(tags.find(want), std::string::npos) << want << tags;
  }
  const auto rms = [&](const std::string& f) {
    const auto o = shell("sox '" + f + "' -n stats 2>&1 | grep '^RMS lev dB'", dl).second;
    return std::stod(o.substr(10));
  };
  EXPECT_NEAR(rms("hires/01 Intro.flac") - rms("hires/02 Slow.flac"), 10.0, 0.5);

  // Vinyl: side B is track 3, then track 4 after its 0.5 s pregap (no crossfade from side A).
  const auto samples = [&](const std::string& f) { return std::stoll(shell("sox --i -s '" + f + "'", dl).second); };
  EXPECT_EQ(samples("vinyl/Side B.wav"), (8 + 5) * 48000 + 24000);
  EXPECT_EQ(samples("vinyl/Side A.wav"), (7 + 6 + 2) * 48000);
  EXPECT_NE(slurp(dl / "vinyl/timing.txt").find("B2  00:08.500"), std::string::npos) << slurp(dl / "vinyl/timing.txt");

  // The state is on disk, and a new daemon on the same database shows it.
  EXPECT_EQ(json::parse(slurp(fs::path(dir_) / "lacquer.db.deliveries" / ("delivery-" + std::to_string(id) + ".json")))["state"],
            "done");
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait(10000), 0) << daemon_->stderr_text();
  port_ = free_port();
  daemon_ = serve(LACQUER_BINARY, jack_->name(), port_, dir_ + "/lacquer.db", token_);
  ASSERT_NE(daemon_, nullptr);
  const json again = json::parse(api("GET", base + "/deliveries/" + std::to_string(id)).body);
  EXPECT_EQ(again["state"], "done");
  EXPECT_EQ(again["files"], done["files"]);
  EXPECT_EQ(download(base, id, "cd/album.cue").filename(), "album.cue");
}

TEST_F(DeliveryRoutesTest, CancelsARunningAndAQueuedDeliveryLeavingNothing) {
  const std::string base = make_album();
  WsClient ws(port_);
  ASSERT_EQ(ws.call({{"op", "auth"}, {"token", kToken}}).value("role", ""), "engineer");
  ASSERT_EQ(ws.call({{"op", "subscribe"}, {"topics", {"params"}}}).value("ok", false), true);
  // Two deliveries: the first runs (every format: seconds of work), the second waits for it.
  const json all{{"formats", {"cd", "streaming", "hires", "vinyl"}}};
  const int running = json::parse(api("POST", base + "/deliveries", all).body)["id"];
  const int queued = json::parse(api("POST", base + "/deliveries", all).body)["id"];
  std::map<std::string, std::vector<double>> fractions;
  for (;;) {  // until the first has started
    const json m = ws.read();
    if (m.value("op", "") == "delivery" && m["delivery"]["id"] == running && m["delivery"]["state"] == "running") break;
  }
  const std::string route = base + "/deliveries/";
  EXPECT_EQ(http_call(port_, "DELETE", route + std::to_string(queued), kToken).status, 202);
  const auto asked = http_call(port_, "DELETE", route + std::to_string(running), kToken);
  EXPECT_EQ(asked.status, 202) << asked.body;
  const json first = follow(ws, running, fractions);
  EXPECT_EQ(first["state"], "cancelled") << first.dump(1);
  const json second = follow(ws, queued, fractions);
  EXPECT_EQ(second["state"], "cancelled") << second.dump(1);
  EXPECT_EQ(second["error"], "cancelled before it started");
  for (const auto& e : fs::directory_iterator(fs::path(dir_) / "lacquer.db.deliveries")) {
    EXPECT_FALSE(e.is_directory()) << e.path() << " left behind";
  }
  // An ended delivery cannot be cancelled; the refusal says why.
  const auto again = http_call(port_, "DELETE", route + std::to_string(running), kToken);
  EXPECT_EQ(again.status, 400);
  EXPECT_NE(again.body.find("has ended (cancelled)"), std::string::npos) << again.body;
  EXPECT_EQ(http_call(port_, "DELETE", route + "99", kToken).status, 404);
  // The state is on disk as the console will list it.
  EXPECT_EQ(json::parse(api("GET", route + std::to_string(running)).body)["state"], "cancelled");
}

TEST_F(DeliveryRoutesTest, RefusesBadRequestsClientsAndPathsOutsideTheDelivery) {
  const std::string base = make_album();
  // Options refused with the field named.
  for (const json& bad : {json{{"formats", json::array()}}, json{{"formats", {"dat"}}},
                          json{{"formats", {"cd"}}, {"rate", 96000}}, json{{"formats", {"cd"}}, {"overrides", {"taste"}}},
                          json{{"formats", {"cd"}}, {"out", "../escape"}}, json{{"formats", {"cd"}}, {"colour", 1}}}) {
    const auto r = api("POST", base + "/deliveries", bad);
    EXPECT_EQ(r.status, 400) << bad.dump() << " " << r.body;
    EXPECT_FALSE(json::parse(r.body).value("message", "").empty()) << r.body;
  }
  // A client invited to the session may not deliver, list or download.
  const auto invite = api("POST", base + "/invites", {{"name", "Artist"}});
  ASSERT_EQ(invite.status, 201) << invite.body;
  const std::string client = json::parse(invite.body)["token"];
  EXPECT_EQ(api("POST", base + "/deliveries", {{"formats", {"hires"}}}, client).status, 403);
  EXPECT_EQ(api("GET", base + "/deliveries", nullptr, client).status, 403);
  EXPECT_EQ(http_call(port_, "GET", base + "/deliveries").status, 401);

  // A failed rule (no ISRC on track 4) fails the delivery and leaves nothing; an override of
  // that rule lets the same delivery through, named as asked.
  ASSERT_EQ(api("PATCH", base + "/tracks/" + std::to_string(tracks_[3]), {{"isrc", ""}}).status, 200);
  WsClient ws(port_);
  ASSERT_EQ(ws.call({{"op", "auth"}, {"token", kToken}}).value("role", ""), "engineer");
  ASSERT_EQ(ws.call({{"op", "subscribe"}, {"topics", {"params"}}}).value("ok", false), true);
  auto r = api("POST", base + "/deliveries", {{"formats", {"hires"}}});
  ASSERT_EQ(r.status, 202) << r.body;
  std::map<std::string, std::vector<double>> fractions;
  const json failed = follow(ws, json::parse(r.body)["id"], fractions);
  EXPECT_EQ(failed["state"], "failed");
  ASSERT_EQ(failed["failed_rules"].size(), 1U) << failed.dump(1);
  EXPECT_EQ(failed["failed_rules"][0]["rule"], "isrc");
  EXPECT_EQ(failed["failed_rules"][0]["file"], "hires/04 Coda.flac");
  // The console offers the override itself: the reason names no command-line option.
  EXPECT_EQ(failed["error"], "1 compliance rule failed; nothing delivered");
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "lacquer.db.deliveries" / failed["name"].get<std::string>()));
  r = api("POST", base + "/deliveries", {{"formats", {"hires"}}, {"overrides", {"isrc"}}, {"out", "Night Drive hires"}});
  ASSERT_EQ(r.status, 202) << r.body;
  const int id = json::parse(r.body)["id"];
  const json done = follow(ws, id, fractions);
  ASSERT_EQ(done["state"], "done") << done.dump(1);
  EXPECT_TRUE(fs::is_directory(fs::path(dir_) / "lacquer.db.deliveries/Night Drive hires/hires"));
  EXPECT_EQ(api("POST", base + "/deliveries", {{"formats", {"hires"}}, {"out", "Night Drive hires"}}).status, 400);

  // Only files the manifest lists: no way out of the delivery's folder, escaped or not.
  const std::string files = base + "/deliveries/" + std::to_string(id) + "/files/";
  for (const std::string& path : {std::string("../../lacquer.db"), std::string("..%2F..%2Flacquer.db"),
                                  std::string("%2Fetc%2Fpasswd"), std::string("hires/../../../lacquer.db"),
                                  std::string("hires"), std::string("hires/missing.flac"), std::string("bad%zz")}) {
    const auto got = http_call(port_, "GET", files + path, kToken);
    EXPECT_TRUE(got.status == 404 || got.status == 400) << path << " " << got.status;
    EXPECT_EQ(got.body.find("SQLite"), std::string::npos) << path;
  }
  EXPECT_EQ(http_call(port_, "GET", files + "hires/01%20Intro.flac", client).status, 403);
  EXPECT_EQ(http_call(port_, "GET", files + "hires/01%20Intro.flac", kToken, "", 20000).status, 200);
  // Another session's route does not reach this delivery.
  const auto other = api("POST", "/api/sessions", {{"title", "Other"}});
  const std::string other_files =
      "/api/sessions/" + std::to_string(json::parse(other.body)["id"].get<int>()) + "/deliveries/" + std::to_string(id);
  EXPECT_EQ(http_call(port_, "GET", other_files, kToken).status, 404);
  EXPECT_EQ(http_call(port_, "GET", other_files + "/files/SHA256SUMS", kToken).status, 404);
}

}  // namespace
}  // namespace lacquer::test
