#include "lacquer/control/osc_codec.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include <lo/lo.h>

namespace lacquer::control {

namespace {

constexpr std::uint8_t kBundleTag[8] = {'#', 'b', 'u', 'n', 'd', 'l', 'e', '\0'};

struct LoMessageFree {
  void operator()(lo_message m) const { lo_message_free(m); }
};
using LoMessage = std::unique_ptr<std::remove_pointer_t<lo_message>, LoMessageFree>;

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24U) | (std::uint32_t{p[1]} << 16U) |
         (std::uint32_t{p[2]} << 8U) | std::uint32_t{p[3]};
}

Error malformed(const std::string& what) { return make_error(ErrorCode::bad_request, what); }

std::optional<Error> decode_message(std::span<const std::uint8_t> data, const OscLimits& limits,
                                    std::vector<OscMessage>& out) {
  if (out.size() >= limits.max_messages) return malformed("too many messages in one packet");
  // liblo wants a mutable buffer; keep the caller's bytes untouched.
  std::vector<std::uint8_t> copy(data.begin(), data.end());
  const char* path = lo_get_path(copy.data(), static_cast<ssize_t>(copy.size()));
  if (path == nullptr) return malformed("malformed OSC address");
  const std::size_t path_len = strnlen(path, copy.size());
  if (path_len == 0 || path[0] != '/' || path_len > limits.max_path) {
    return malformed("an OSC address starts with '/' and has at most " +
                     std::to_string(limits.max_path) + " bytes");
  }
  int result = 0;
  LoMessage m(lo_message_deserialise(copy.data(), copy.size(), &result));
  if (!m || result != 0) return malformed("malformed OSC message");

  OscMessage msg;
  msg.path.assign(path, path_len);
  const char* types = lo_message_get_types(m.get());
  const int argc = lo_message_get_argc(m.get());
  if (argc < 0 || static_cast<std::size_t>(argc) > limits.max_args) {
    return malformed("too many OSC arguments");
  }
  lo_arg** argv = lo_message_get_argv(m.get());
  for (int i = 0; i < argc; ++i) {
    const lo_arg* a = argv[i];
    switch (types[i]) {
      case LO_INT32: msg.args.emplace_back(std::int32_t{a->i}); break;
      case LO_INT64: msg.args.emplace_back(std::int64_t{a->h}); break;
      case LO_FLOAT: msg.args.emplace_back(a->f); break;
      case LO_DOUBLE: msg.args.emplace_back(a->d); break;
      case LO_STRING:
      case LO_SYMBOL: msg.args.emplace_back(std::string(&a->s)); break;
      case LO_TRUE: msg.args.emplace_back(true); break;
      case LO_FALSE: msg.args.emplace_back(false); break;
      case LO_NIL: msg.args.emplace_back(std::monostate{}); break;
      default: msg.unsupported.push_back(types[i]); break;
    }
  }
  out.push_back(std::move(msg));
  return std::nullopt;
}

std::optional<Error> decode_element(std::span<const std::uint8_t> data, int depth,
                                    const OscLimits& limits, std::vector<OscMessage>& out) {
  if (data.size() < 4 || data.size() % 4 != 0) return malformed("an OSC packet is 4-byte aligned");
  if (data[0] != '#') return decode_message(data, limits, out);
  if (data.size() < 16 || std::memcmp(data.data(), kBundleTag, sizeof kBundleTag) != 0) {
    return malformed("malformed OSC bundle");
  }
  if (depth >= limits.max_depth) return malformed("OSC bundles nested too deeply");
  std::size_t at = 16;  // tag and time tag
  while (at < data.size()) {
    if (data.size() - at < 4) return malformed("truncated OSC bundle element");
    const std::uint32_t size = read_be32(data.data() + at);
    at += 4;
    if (size == 0 || size > data.size() - at) return malformed("bad OSC bundle element size");
    if (auto error = decode_element(data.subspan(at, size), depth + 1, limits, out)) return error;
    at += size;
  }
  return std::nullopt;
}

LoMessage to_lo(const OscMessage& message) {
  LoMessage m(lo_message_new());
  for (const auto& arg : message.args) {
    std::visit(
        [&m](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            lo_message_add_nil(m.get());
          } else if constexpr (std::is_same_v<T, bool>) {
            if (v) {
              lo_message_add_true(m.get());
            } else {
              lo_message_add_false(m.get());
            }
          } else if constexpr (std::is_same_v<T, std::int32_t>) {
            lo_message_add_int32(m.get(), v);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            lo_message_add_int64(m.get(), v);
          } else if constexpr (std::is_same_v<T, float>) {
            lo_message_add_float(m.get(), v);
          } else if constexpr (std::is_same_v<T, double>) {
            lo_message_add_double(m.get(), v);
          } else {
            lo_message_add_string(m.get(), v.c_str());
          }
        },
        arg);
  }
  return m;
}

std::vector<std::uint8_t> take_buffer(void* data, std::size_t size) {
  std::vector<std::uint8_t> out(static_cast<std::uint8_t*>(data),
                                static_cast<std::uint8_t*>(data) + size);
  std::free(data);  // NOLINT: liblo allocates with malloc
  return out;
}

}  // namespace

Expected<std::vector<OscMessage>> decode_osc_packet(std::span<const std::uint8_t> data,
                                                    const OscLimits& limits) {
  std::vector<OscMessage> out;
  if (auto error = decode_element(data, 0, limits, out)) return *error;
  return out;
}

std::vector<std::uint8_t> encode_osc_message(const OscMessage& message) {
  LoMessage m = to_lo(message);
  std::size_t size = 0;
  void* data = lo_message_serialise(m.get(), message.path.c_str(), nullptr, &size);
  return take_buffer(data, size);
}

std::vector<std::uint8_t> encode_osc_bundle(std::span<const OscMessage> messages) {
  lo_bundle bundle = lo_bundle_new(LO_TT_IMMEDIATE);
  for (const auto& message : messages) {
    // The bundle takes a reference to each message and drops it in free_recursive.
    lo_bundle_add_message(bundle, message.path.c_str(), to_lo(message).release());
  }
  std::size_t size = 0;
  void* data = lo_bundle_serialise(bundle, nullptr, &size);
  lo_bundle_free_recursive(bundle);
  return take_buffer(data, size);
}

Expected<Value> osc_value(const OscMessage& message) {
  if (!message.unsupported.empty()) {
    return make_error(ErrorCode::invalid_value,
                      "unsupported OSC argument types '" + message.unsupported + "'");
  }
  if (message.args.empty()) return Value{};
  if (message.args.size() > 1) {
    return make_error(ErrorCode::bad_request, message.path + " takes at most one argument");
  }
  return std::visit(
      [&](const auto& v) -> Expected<Value> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return make_error(ErrorCode::invalid_value, "nil is not a value");
        } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string>) {
          return Value{v};
        } else if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>) {
          return Value{std::int64_t{v}};
        } else {
          return Value{static_cast<double>(v)};
        }
      },
      message.args.front());
}

OscArg osc_arg(const Value& value) {
  return std::visit(
      [](const auto& v) -> OscArg {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return std::monostate{};
        } else if constexpr (std::is_same_v<T, bool>) {
          return std::int32_t{v ? 1 : 0};
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return static_cast<std::int32_t>(std::clamp<std::int64_t>(
              v, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max()));
        } else if constexpr (std::is_same_v<T, double>) {
          return static_cast<float>(v);
        } else {
          return v;
        }
      },
      value);
}

}  // namespace lacquer::control
