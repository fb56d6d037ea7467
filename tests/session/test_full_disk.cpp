// A full disk: a child process whose file size limit (RLIMIT_FSIZE, SIGXFSZ ignored)
// stops the database from growing. Writes fail with a disk_full error naming the
// cause, nothing acknowledged is lost, and the file is intact afterwards.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>

#include <gtest/gtest.h>

#include "lacquer/session/store.hpp"
#include "temp_dir.hpp"

namespace ls = lacquer::session;

namespace {

struct ChildReport {
  std::vector<ls::Id> acked;
  int error_code = -1;
  std::string message;
  bool store_usable_after = false;
};

// Runs in the forked child: fills the disk, then writes what happened to `fd`.
[[noreturn]] void fill_until_full(const std::filesystem::path& db, ls::Id session_id,
                                  rlim_t limit_bytes, int fd) {
  std::signal(SIGXFSZ, SIG_IGN);
  const rlimit lim{limit_bytes, limit_bytes};
  setrlimit(RLIMIT_FSIZE, &lim);
  std::string out;
  try {
    auto store = ls::Store::open(db);
    const std::string text(3000, 'x');
    for (int i = 0; i < 10000; ++i) {
      auto n = store->add_note({.session_id = session_id,
                                .time_s = 1.0 * i,
                                .author = "E",
                                .text = std::to_string(i) + text});
      if (!n) {
        out += "E " + std::to_string(static_cast<int>(n.error().code)) + " " + n.error().message +
               "\n";
        // The connection still reads after the failed write.
        auto s = store->session(session_id);
        out += std::string("R ") + (s ? "1" : "0") + "\n";
        break;
      }
      out += "A " + std::to_string(n->id) + "\n";
    }
  } catch (const std::exception& e) {
    out += std::string("X ") + e.what() + "\n";
  }
  [[maybe_unused]] auto w = ::write(fd, out.data(), out.size());
  ::_exit(0);
}

ChildReport run_child(const std::filesystem::path& db, ls::Id session_id, rlim_t limit_bytes) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    fill_until_full(db, session_id, limit_bytes, fds[1]);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status)) << "child died with signal " << WTERMSIG(status);

  ChildReport r;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("A ", 0) == 0) {
      r.acked.push_back(std::stoll(line.substr(2)));
    } else if (line.rfind("E ", 0) == 0) {
      const auto space = line.find(' ', 2);
      r.error_code = std::stoi(line.substr(2, space - 2));
      r.message = line.substr(space + 1);
    } else if (line.rfind("R ", 0) == 0) {
      r.store_usable_after = line == "R 1";
    } else if (line.rfind("X ", 0) == 0) {
      ADD_FAILURE() << "child: " << line;
    }
  }
  return r;
}

}  // namespace

TEST(FullDisk, WritesFailClearlyAndTheDatabaseStaysIntact) {
  ls::testing::TempDir dir;
  const auto db = dir / "small.db";
  ls::Id session_id = 0;
  std::vector<ls::Id> before;
  {
    auto store = ls::Store::open(db);
    session_id = store->create_session({.title = "Tight disk"})->id;
    for (int i = 0; i < 20; ++i) {
      before.push_back(
          store->add_note({.session_id = session_id, .author = "E", .text = "before"})->id);
    }
  }
  // Closing checkpointed the log into the main file; leave 256 KiB of room per file.
  const auto size = std::filesystem::file_size(db);
  const auto report = run_child(db, session_id, static_cast<rlim_t>(size + 256 * 1024));

  EXPECT_GT(report.acked.size(), 10u);  // some notes fit before the limit
  EXPECT_EQ(report.error_code, static_cast<int>(ls::ErrorCode::disk_full)) << report.message;
  EXPECT_NE(report.message.find("add note"), std::string::npos) << report.message;
  EXPECT_NE(report.message.find("disk full"), std::string::npos) << report.message;
  EXPECT_TRUE(report.store_usable_after);

  // Without the limit: intact, everything acknowledged is there, and writing works.
  auto store = ls::Store::open(db);
  EXPECT_EQ(store->integrity_check().value(), "ok");
  for (auto id : before) EXPECT_TRUE(store->note(id)) << id;
  for (auto id : report.acked) EXPECT_TRUE(store->note(id)) << id;
  EXPECT_EQ(store->notes({.session_id = session_id})->size(), before.size() + report.acked.size());
  EXPECT_TRUE(store->add_note({.session_id = session_id, .author = "E", .text = "after"}));
}
