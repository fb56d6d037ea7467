#pragma once
// Kills a note writer at a chosen moment and checks what it acknowledged survived.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace lacquer::session::testing {

/// Notes acknowledged so far: id -> sequence number (the note's text is "note SEQ").
using Acknowledged = std::map<std::int64_t, long>;

struct CrashRound {
  int new_notes = 0;    ///< notes the writer acknowledged in this round
  bool killed = false;  ///< false when the writer had already exited on its own
  std::string failure;  ///< empty when the database passed every check
};

/// Starts `writer` on `db`, SIGKILLs it after `kill_after`, adds the ids it printed to
/// `acked`, reopens the database and checks integrity and every acknowledged note.
CrashRound crash_round(const std::filesystem::path& writer, const std::filesystem::path& db,
                       std::chrono::microseconds kill_after, Acknowledged& acked);

}  // namespace lacquer::session::testing
