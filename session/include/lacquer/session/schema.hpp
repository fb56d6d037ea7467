#pragma once
// The schema's history. Each migration brings a database from `version - 1` to
// `version`; Store::open applies the missing ones, each with its version bump in one
// BEGIN IMMEDIATE ... COMMIT. docs/data.md describes every table.

#include <cstdint>
#include <span>
#include <string_view>

namespace lacquer::session {

/// The version this build writes and understands (PRAGMA user_version).
inline constexpr int kSchemaVersion = 7;

/// PRAGMA application_id of a Lacquer database ("LACQ").
inline constexpr std::int32_t kApplicationId = 0x4c414351;

struct Migration {
  int version;                   ///< user_version after this migration
  std::string_view description;  ///< one line, for logs and docs
  std::string_view sql;          ///< statements run inside the migration's transaction
};

/// Every migration in order; migrations()[i].version == i + 1.
std::span<const Migration> migrations() noexcept;

}  // namespace lacquer::session
