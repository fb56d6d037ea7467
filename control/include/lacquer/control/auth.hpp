#pragma once
// Who is talking: the engineer token (compared in constant time), client tokens checked
// by a lookup the daemon provides (the session store keeps only their hashes), and a limit
// on failed attempts per source address that never refuses a correct token.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lacquer/control/command.hpp"
#include "lacquer/control/rate_limit.hpp"

namespace lacquer::control {

/// An authenticated sender.
struct Principal {
  Role role = Role::none;
  std::int64_t client_id = 0;         ///< the store's client id; 0 for the configured token
  std::string name;                   ///< shown as a note's author
  std::vector<std::int64_t> sessions;  ///< sessions a client was invited to

  /// Engineers may access every session, clients the ones they were invited to.
  bool may_access(std::int64_t session_id) const;
};

/// Equal strings, in time that depends only on the length of `expected`.
bool constant_time_equal(std::string_view given, std::string_view expected) noexcept;

/// A fresh random token: 32 bytes from the system's random source, as 64 hex digits.
std::string generate_token();

class Authenticator {
 public:
  /// Resolves a token that is not the engineer token (a client's, or an engineer token
  /// kept hashed in the store); unauthorized when unknown, revoked or expired.
  using TokenLookup = std::function<Expected<Principal>(std::string_view token)>;

  struct Options {
    int max_failures = 5;                       ///< failures per window before a lockout
    std::chrono::seconds window{60};
    std::chrono::seconds lockout{60};
  };

  /// `engineer_token` may be empty: then only the lookup can authenticate.
  explicit Authenticator(std::string engineer_token, Options options);
  explicit Authenticator(std::string engineer_token)
      : Authenticator(std::move(engineer_token), Options{}) {}

  void set_lookup(TokenLookup lookup) { lookup_ = std::move(lookup); }

  /// Checks a token from `source` (an address). A wrong token is answered rate_limited
  /// while the source is locked out; a correct one is always accepted.
  Expected<Principal> authenticate(std::string_view token, const std::string& source,
                                   Clock::time_point now);

  /// Failed attempts refused so far (all sources).
  std::uint64_t failures() const noexcept { return failures_total_; }

 private:
  struct Failures {
    int count = 0;
    Clock::time_point window_start{};
    Clock::time_point locked_until{};
  };

  std::string engineer_token_;
  Options options_;
  TokenLookup lookup_;
  std::unordered_map<std::string, Failures> failures_;
  std::uint64_t failures_total_ = 0;
};

}  // namespace lacquer::control
