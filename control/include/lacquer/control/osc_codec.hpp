#pragma once
// OSC packets to messages and back, with liblo's decoder and encoder. Bundles are walked
// here (nested up to a depth limit; time tags are ignored: everything applies on arrival).
// Pure functions: the OSC server calls them on its receive thread, the fuzz target directly.

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "lacquer/control/command.hpp"

namespace lacquer::control {

/// One OSC argument. `monostate` is nil ('N').
using OscArg = std::variant<std::monostate, bool, std::int32_t, std::int64_t, float, double,
                            std::string>;

struct OscMessage {
  std::string path;
  std::vector<OscArg> args;
  std::string unsupported;  ///< type tags this layer does not take (blob, MIDI...), if any
};

/// What a packet may hold before it is refused whole.
struct OscLimits {
  std::size_t max_messages = 256;  ///< messages per packet, all bundles included
  int max_depth = 8;               ///< bundles within bundles
  std::size_t max_path = 256;      ///< bytes of an address
  std::size_t max_args = 16;
};

/// Decodes one packet (a message or a bundle). bad_request for malformed data, limits
/// exceeded or an address not starting with '/'.
Expected<std::vector<OscMessage>> decode_osc_packet(std::span<const std::uint8_t> data,
                                                    const OscLimits& limits = {});

/// Serialises one message.
std::vector<std::uint8_t> encode_osc_message(const OscMessage& message);
/// Serialises messages as one bundle with the "immediately" time tag.
std::vector<std::uint8_t> encode_osc_bundle(std::span<const OscMessage> messages);

/// The command value of a message: no argument is "no value", one argument its value
/// (booleans, integers, floats, strings); bad_request for more arguments or nil.
Expected<Value> osc_value(const OscMessage& message);

/// The OSC argument for a wire value: bool and integers as int32 ('i', what surfaces
/// expect for switches), reals as float, strings as strings.
OscArg osc_arg(const Value& value);

}  // namespace lacquer::control
