// Snapshots on `lacquer serve` (jackd -d dummy, a temporary database): comparing A against B
// plays them without changing the snapshot the track has applied, so the feedback across a
// client's records counts the chain the track is mastered with, not the last one compared.
// Storing the chain and the engineer's recall do make a snapshot the applied one.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "music.hpp"
#include "process_helpers.hpp"
#include "serve_fixture.hpp"
#include "ws_client.hpp"

namespace lacquer::test {
namespace {

using nlohmann::json;

constexpr const char* kToken = "snapshot-token";

class SnapshotTest : public ServeFixture {
 protected:
  SnapshotTest() : ServeFixture(kToken, "lqs") {}

  json get(const std::string& path) {
    const auto r = call(kToken, "GET", path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body);
  }
};

TEST_F(SnapshotTest, ComparingAAndBLeavesTheAppliedSnapshot) {
  const auto s = call(kToken, "POST", "/api/sessions", {{"title", "Tides"}, {"client", "Echo"}});
  ASSERT_EQ(s.status, 201) << s.body;
  const std::string base = "/api/sessions/" + std::to_string(json::parse(s.body)["id"].get<int>());
  const std::string file = dir_ + "/tides.wav";
  ASSERT_TRUE(analysis::test::write_wav(file, analysis::test::tone({{3.0, -20.0}})));
  ASSERT_EQ(call(kToken, "POST", base + "/tracks", {{"file", file}, {"title", "Tides"}}).status,
            201);
  ASSERT_EQ(call(kToken, "POST", base + "/open").status, 200);

  WsClient control(port_);
  ASSERT_EQ(control.call({{"op", "auth"}, {"token", kToken}}).value("ok", false), true);
  const auto set = [&](const std::string& path, const json& value) {
    const json r = control.call({{"op", "set"}, {"path", path}, {"value", value}});
    EXPECT_TRUE(r.value("ok", false)) << path << " " << value << ": " << r;
  };
  const auto applied = [&] { return get(base)["tracks"][0]["snapshot_id"]; };
  const auto id_of = [&](const std::string& name) {
    json id;
    for (const auto& snap : get(base + "/snapshots")) {
      if (snap["name"] == name) id = snap["id"];  // the newest version of the name
    }
    return id;
  };
  const auto band_one_gain = [&] {
    const json f = get("/api/feedback?client=Echo");
    EXPECT_EQ(f["eq_bands"].size(), 1U) << f;
    return f["eq_bands"].empty() ? json() : f["eq_bands"][0]["mean_gain_db"];
  };

  set("/chain/eq/1/enabled", true);
  set("/chain/eq/1/gain", 3.0);
  set("/snapshot/store", "A");
  set("/chain/eq/1/gain", -2.0);
  set("/snapshot/store", "B");
  EXPECT_EQ(applied(), id_of("B"));  // stored from the chain, which holds it
  set("/snapshot/recall", "A");
  EXPECT_EQ(applied(), id_of("A"));
  EXPECT_EQ(band_one_gain(), 3.0);

  for (const char* heard : {"A", "B", "A", "B", "chain"}) set("/monitor/compare", heard);
  EXPECT_EQ(applied(), id_of("A"));
  EXPECT_EQ(band_one_gain(), 3.0);
  EXPECT_EQ(get("/api/state")["values"]["/chain/eq/1/gain"], 3.0);

  // The engineer's recall sticks.
  set("/snapshot/recall", "B");
  EXPECT_EQ(applied(), id_of("B"));
  EXPECT_EQ(band_one_gain(), -2.0);
}

}  // namespace
}  // namespace lacquer::test
