// libFuzzer target: WebSocket text frames through the JSON parser and the request ops.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lacquer/control/ws_protocol.hpp"

using namespace lacquer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dsp::ParamStore params(dsp::Schema::instance());
  static control::ControlHub hub(control::CommandTable::instance(), params);
  static control::Authenticator auth("fuzz-token");
  static control::WsDispatcher dispatcher(hub, auth);
  // Half the inputs run as an engineer, half as a fresh connection.
  control::WsClient client;
  if (size > 0 && (data[0] & 1U) != 0U) client.principal.role = control::Role::engineer;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto reply = dispatcher.handle(client, text, control::Clock::now());
  (void)reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
