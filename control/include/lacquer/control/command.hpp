#pragma once
// The one command type every transport produces: a path, a typed value, where it came from
// and the role of whoever sent it. Expected failures travel as values (Expected<T>).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lacquer::control {

/// What a sender may do. Ordered: a higher role includes the lower ones.
enum class Role : std::uint8_t { none, client, engineer };

/// The transport a command arrived on.
enum class Origin : std::uint8_t { osc, websocket, http, internal };

/// A value on the wire. `monostate` is "no value": a query, or a trigger with no argument.
using Value = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

/// One request to read or change a path.
struct Command {
  std::string path;  ///< e.g. "/chain/eq/3/gain" or "/chain/eq/3/gain/norm"
  Value value;
  Origin origin = Origin::internal;
  Role role = Role::none;
};

/// Why a command was refused; each has a stable wire name (see to_string).
enum class ErrorCode : std::uint8_t {
  bad_request,    ///< malformed message (bad JSON, missing field, wrong arity)
  unknown_path,   ///< no such path
  invalid_value,  ///< NaN/Inf, wrong type or unknown choice
  forbidden,      ///< the sender's role may not do this
  unauthorized,   ///< no or a wrong token
  rate_limited,   ///< too many messages or failed logins
  not_found,      ///< no such session, note or snapshot
  unavailable,    ///< the part that would do this is not running (no store, no player)
  internal,       ///< anything else
};

/// "bad_request", "unknown_path", ...
std::string_view to_string(ErrorCode code) noexcept;
/// "none", "client", "engineer".
std::string_view to_string(Role role) noexcept;

/// An expected failure with a message a person can act on.
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

/// Either a value or an Error.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  /// Only valid when !ok().
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

/// Shorthand for building a failure.
inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace lacquer::control
