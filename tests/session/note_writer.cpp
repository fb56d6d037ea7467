// Child of the crash test: writes notes as fast as it can and prints "ID SEQ" for each
// one only after add_note() returned it, i.e. after its commit. The parent kills it at
// a random moment and checks that every printed note survived.
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "lacquer/session/store.hpp"

namespace ls = lacquer::session;

namespace {

bool write_all(const std::string& line) {
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DB FIRST_SEQ\n", argv[0]);
    return 2;
  }
  try {
    auto store = ls::Store::open(argv[1]);
    auto sessions = store->sessions();
    if (!sessions) throw std::runtime_error(sessions.error().message);
    ls::Id session_id = 0;
    if (sessions->empty()) {
      auto s = store->create_session({.title = "Crash test"});
      if (!s) throw std::runtime_error(s.error().message);
      session_id = s->id;
    } else {
      session_id = sessions->back().id;
    }
    for (long seq = std::strtol(argv[2], nullptr, 10);; ++seq) {
      auto n = store->add_note({.session_id = session_id,
                                .time_s = static_cast<double>(seq % 600),
                                .author = "writer",
                                .text = "note " + std::to_string(seq),
                                .compare_state = ls::CompareState::chain});
      if (!n) {
        std::fprintf(stderr, "add_note: %s\n", n.error().message.c_str());
        return 1;
      }
      // Every tenth note is also resolved, so updates are interrupted too.
      if (seq % 10 == 0 && !store->resolve_note(n->id, "writer")) return 1;
      if (!write_all(std::to_string(n->id) + " " + std::to_string(seq) + "\n")) return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "note_writer: %s\n", e.what());
    return 2;
  }
}
