#include "lacquer/control/command.hpp"

namespace lacquer::control {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::unknown_path: return "unknown_path";
    case ErrorCode::invalid_value: return "invalid_value";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::rate_limited: return "rate_limited";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::none: return "none";
    case Role::client: return "client";
    case Role::engineer: return "engineer";
  }
  return "none";
}

}  // namespace lacquer::control
