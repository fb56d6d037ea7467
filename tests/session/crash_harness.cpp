#include "crash_harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <sstream>

#include "lacquer/session/store.hpp"

extern char** environ;

namespace lacquer::session::testing {

namespace {

// Parses complete lines only: a line cut by the kill was never acknowledged.
int take_lines(std::string& buffer, Acknowledged& acked) {
  int count = 0;
  std::size_t start = 0;
  for (std::size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::istringstream line(buffer.substr(start, nl - start));
    std::int64_t id = 0;
    long seq = 0;
    if (line >> id >> seq) {
      acked[id] = seq;
      ++count;
    }
  }
  buffer.erase(0, start);
  return count;
}

std::string check(const std::filesystem::path& db, const Acknowledged& acked) {
  std::unique_ptr<Store> store;
  try {
    store = Store::open(db);
  } catch (const std::exception& e) {
    return std::string("reopen failed: ") + e.what();
  }
  auto integrity = store->integrity_check();
  if (!integrity) return "integrity_check failed: " + integrity.error().message;
  if (*integrity != "ok") return "integrity_check: " + *integrity;
  auto notes = store->notes({});
  if (!notes) return "reading notes failed: " + notes.error().message;
  std::map<std::int64_t, std::string> present;
  for (const auto& n : *notes) present[n.id] = n.text;
  for (const auto& [id, seq] : acked) {
    const auto it = present.find(id);
    if (it == present.end()) return "acknowledged note " + std::to_string(id) + " is missing";
    if (it->second != "note " + std::to_string(seq)) {
      return "note " + std::to_string(id) + " holds '" + it->second + "', expected 'note " +
             std::to_string(seq) + "'";
    }
  }
  return {};
}

}  // namespace

CrashRound crash_round(const std::filesystem::path& writer, const std::filesystem::path& db,
                       std::chrono::microseconds kill_after, Acknowledged& acked) {
  CrashRound round;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    round.failure = "pipe failed";
    return round;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  const std::string first_seq = std::to_string(acked.empty() ? 0 : acked.rbegin()->second + 1000);
  const std::string writer_s = writer.string();
  const std::string db_s = db.string();
  char* argv[] = {const_cast<char*>(writer_s.c_str()), const_cast<char*>(db_s.c_str()),
                  const_cast<char*>(first_seq.c_str()), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, writer_s.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    round.failure = "cannot start " + writer_s;
    return round;
  }

  std::string buffer;
  char chunk[4096];
  const auto deadline = std::chrono::steady_clock::now() + kill_after;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    round.new_notes += take_lines(buffer, acked);
  }
  // Sub-millisecond kill times: poll's resolution is 1 ms, so spin out the rest.
  while (std::chrono::steady_clock::now() < deadline) {
  }
  round.killed = ::kill(pid, SIGKILL) == 0;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // What reached the pipe before the kill was printed after a commit: it counts.
  for (ssize_t n; (n = ::read(fds[0], chunk, sizeof chunk)) > 0;) {
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  round.new_notes += take_lines(buffer, acked);
  if (WIFEXITED(status)) {
    round.killed = false;
    round.failure = "writer exited on its own with status " + std::to_string(WEXITSTATUS(status));
    return round;
  }
  round.failure = check(db, acked);
  return round;
}

}  // namespace lacquer::session::testing
