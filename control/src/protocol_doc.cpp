#include "lacquer/control/protocol_doc.hpp"

#include <cmath>
#include <sstream>

#include "lacquer/control/meter_poller.hpp"

namespace lacquer::control {

namespace {

std::string number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string range_of(const Entry& e) {
  switch (e.type) {
    case ValueType::real:
    case ValueType::integer:
      if (!e.writable) return "";
      return number(e.min_value) + " … " + number(e.max_value);
    case ValueType::boolean: return "0 / 1";
    case ValueType::choice: {
      std::string list;
      for (const auto& c : e.choices) list += (list.empty() ? "" : " \\| ") + c;
      return list;
    }
    case ValueType::text:
    case ValueType::trigger: break;
  }
  return "";
}

/// The OSC form of the example: `PATH TAG VALUE`.
std::string osc_example(const Entry& e) {
  const std::string v = example_json(e);
  switch (e.type) {
    case ValueType::trigger: return e.path;
    case ValueType::boolean: return e.path + " i " + (v == "true" ? "1" : "0");
    case ValueType::integer: return e.path + " i " + v;
    case ValueType::choice:
    case ValueType::text: return e.path + " s " + v;
    case ValueType::real: break;
  }
  return e.path + " f " + v;
}

}  // namespace

std::string protocol_paths_markdown(const CommandTable& table) {
  std::ostringstream out;
  out << "| path | type | unit | range | read / write | OSC example | WebSocket example | "
         "description |\n|---|---|---|---|---|---|---|---|\n";
  for (const Entry& e : table.entries()) {
    const std::string roles = std::string(e.readable ? to_string(e.read_role) : "–") + " / " +
                              std::string(e.writable ? to_string(e.write_role) : "–");
    const std::string ws =
        e.writable ? R"({"op":"set","path":")" + e.path + "\"" +
                         (e.type == ValueType::trigger ? "" : ",\"value\":" + example_json(e)) + "}"
                   : R"({"op":"get","path":")" + e.path + "\"}";
    out << "| `" << e.path << "`" << (e.accepts_norm ? " (+`/norm`)" : "") << " | "
        << to_string(e.type) << " | " << e.unit << " | " << range_of(e) << " | " << roles
        << " | `" << (e.writable ? osc_example(e) : e.path) << "` | `" << ws << "` | "
        << e.description << " |\n";
  }
  out << "\nMeters (pushed, read only; floor " << number(kMeterFloorDb) << " dB):\n\n";
  for (const auto path : meter_paths()) out << "- `" << path << " f`\n";
  return out.str();
}

}  // namespace lacquer::control
