// Which snapshot a track has applied, as the hub moves it: storing the chain and recalling a
// snapshot make it the applied one; comparing A against B only reads them.
#include <string>

#include <gtest/gtest.h>

#include "fakes.hpp"
#include "lacquer/control/dispatch.hpp"
#include "lacquer/control/hub.hpp"
#include "lacquer/dsp/engine.hpp"
#include "lacquer/dsp/param_store.hpp"

namespace lacquer::control {
namespace {

TEST(SnapshotApplied, ComparingReadsAndRecallApplies) {
  const dsp::Schema& schema = dsp::Schema::instance();
  dsp::ParamStore params{schema};
  ControlHub hub{CommandTable::instance(), params};
  testing::FakeTransport transport;
  testing::FakeSessions sessions;
  dsp::Engine engine(schema);
  hub.set_transport(&transport);
  hub.set_sessions(&sessions);
  hub.set_engine(&engine);
  const auto set = [&](const std::string& path, const std::string& value) {
    return hub.execute(Command{path, Value{value}, Origin::internal, Role::engineer}).ok();
  };

  ASSERT_TRUE(set("/snapshot/store", "A"));
  ASSERT_TRUE(set("/snapshot/store", "B"));
  EXPECT_EQ(sessions.applied, "B");
  ASSERT_TRUE(set("/snapshot/recall", "A"));
  EXPECT_EQ(sessions.applied, "A");
  for (const char* heard : {"B", "A", "B", "chain"}) ASSERT_TRUE(set("/monitor/compare", heard));
  EXPECT_EQ(sessions.applied, "A");
}

}  // namespace
}  // namespace lacquer::control
