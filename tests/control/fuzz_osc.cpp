// libFuzzer target: OSC packets through the decoder and the command path the server uses.
#include <cstddef>
#include <cstdint>

#include "lacquer/control/hub.hpp"
#include "lacquer/control/osc_codec.hpp"

using namespace lacquer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static dsp::ParamStore params(dsp::Schema::instance());
  static control::ControlHub hub(control::CommandTable::instance(), params);
  auto decoded = control::decode_osc_packet(std::span(data, size));
  if (!decoded.ok()) return 0;
  for (const auto& m : *decoded) {
    // What the decoder produced must encode again.
    (void)control::encode_osc_message(m);
    auto value = control::osc_value(m);
    if (!value.ok()) continue;
    (void)hub.execute(control::Command{m.path, *value, control::Origin::osc,
                                       control::Role::engineer});
  }
  return 0;
}
