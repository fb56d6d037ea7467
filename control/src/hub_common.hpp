#pragma once
// What the hub's units (dispatch in hub.cpp, notes, snapshots) share.

#include <string>

#include "lacquer/control/hub.hpp"

namespace lacquer::control::hub_common {

inline bool role_allows(Role have, Role need) {
  return need != Role::none && static_cast<int>(have) >= static_cast<int>(need);
}

inline Error forbidden(const Entry& e, Role role) {
  if (role == Role::none) return make_error(ErrorCode::unauthorized, "authenticate first");
  return make_error(ErrorCode::forbidden,
                    "the " + std::string(to_string(role)) + " role may not change " + e.path);
}

inline Error no_transport() { return make_error(ErrorCode::unavailable, "no transport is running"); }
inline Error no_store() { return make_error(ErrorCode::unavailable, "no session store is open"); }

}  // namespace lacquer::control::hub_common
