// docs/protocol.md lists every path of the dispatch table and every meter.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "lacquer/control/dispatch.hpp"
#include "lacquer/control/meter_poller.hpp"
#include "lacquer/control/protocol_doc.hpp"

namespace lacquer::control {
namespace {

std::string read_doc() {
  std::ifstream in(std::string(LACQUER_SOURCE_DIR) + "/docs/protocol.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ProtocolDoc, ListsEveryPathAndMeterWithExamples) {
  const std::string doc = read_doc();
  ASSERT_FALSE(doc.empty()) << "docs/protocol.md is missing";
  for (const Entry& e : CommandTable::instance().entries()) {
    EXPECT_NE(doc.find("| `" + e.path + "`"), std::string::npos)
        << e.path << " is not in docs/protocol.md: regenerate its table with "
        << "`lacquer ctl --dump-protocol`";
  }
  for (const auto path : meter_paths()) {
    EXPECT_NE(doc.find("`" + std::string(path) + " f`"), std::string::npos) << path;
  }
  // The generated table is in the document as generated.
  EXPECT_NE(doc.find(protocol_paths_markdown(CommandTable::instance())), std::string::npos)
      << "the path table differs from `lacquer ctl --dump-protocol`";
  for (const char* op : {"auth", "set", "get", "state", "subscribe", "unsubscribe", "note",
                         "notes", "note.resolve", "snapshot.store", "snapshot.recall", "compare",
                         "schema", "ping"}) {
    EXPECT_NE(doc.find("{\"op\":\"" + std::string(op) + "\""), std::string::npos) << op;
  }
}

}  // namespace
}  // namespace lacquer::control
