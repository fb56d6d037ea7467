#include "lacquer/control/auth.hpp"

#include <algorithm>
#include <array>
#include <random>

namespace lacquer::control {

namespace {
// Bounds the table of failing sources; a flood of sources cannot grow memory without end.
constexpr std::size_t kMaxTrackedSources = 4096;
}  // namespace

bool Principal::may_access(std::int64_t session_id) const {
  if (role == Role::engineer) return true;
  if (role != Role::client) return false;
  return std::find(sessions.begin(), sessions.end(), session_id) != sessions.end();
}

bool constant_time_equal(std::string_view given, std::string_view expected) noexcept {
  // Walk all of `expected` whatever `given` holds, so timing reveals no matching prefix.
  unsigned diff = given.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0U;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0U;
}

std::string generate_token() {
  std::random_device device;  // the kernel's random source on Linux
  static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string token;
  token.reserve(64);
  for (int i = 0; i < 8; ++i) {
    std::uint32_t word = device();
    for (int nibble = 0; nibble < 8; ++nibble) {
      token.push_back(kHex[word & 0xFU]);
      word >>= 4U;
    }
  }
  return token;
}

Authenticator::Authenticator(std::string engineer_token, Options options)
    : engineer_token_(std::move(engineer_token)), options_(options) {}

Expected<Principal> Authenticator::authenticate(std::string_view token,
                                                const std::string& source,
                                                Clock::time_point now) {
  // A correct token is accepted even while its source is throttled: a guesser sharing the
  // engineer's address (a NAT, a flood on loopback) must not lock the engineer out, and a
  // 256-bit token is not found by guessing within any lockout.
  if (!token.empty() && !engineer_token_.empty() && constant_time_equal(token, engineer_token_)) {
    return Principal{Role::engineer, 0, "engineer", {}};
  }
  if (!token.empty() && lookup_) {
    auto found = lookup_(token);
    if (found.ok()) return found;
    if (found.error().code != ErrorCode::unauthorized) return found;  // e.g. store busy
  }

  ++failures_total_;
  auto it = failures_.find(source);
  if (it != failures_.end() && now < it->second.locked_until) {
    return make_error(ErrorCode::rate_limited, "too many failed logins; try again later");
  }
  if (it == failures_.end()) {
    if (failures_.size() >= kMaxTrackedSources) {
      std::erase_if(failures_, [&](const auto& kv) {
        return now >= kv.second.locked_until && now - kv.second.window_start > options_.window;
      });
    }
    it = failures_.emplace(source, Failures{}).first;
  }
  Failures& f = it->second;
  if (now - f.window_start > options_.window) {
    f.window_start = now;
    f.count = 0;
  }
  if (++f.count >= options_.max_failures) {
    f.locked_until = now + options_.lockout;
    f.count = 0;
  }
  return make_error(ErrorCode::unauthorized, "unknown, revoked or expired token");
}

}  // namespace lacquer::control
