// Thousands of crash rounds against one database: `lacquer_session_soak [ROUNDS] [DB]`.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "crash_harness.hpp"

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5000;
  const std::filesystem::path db = argc > 2
                                       ? std::filesystem::path(argv[2])
                                       : std::filesystem::temp_directory_path() / "lacquer-soak.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);

  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> kill_us(0, 60000);
  lacquer::session::testing::Acknowledged acked;
  for (int i = 0; i < rounds; ++i) {
    const auto r = lacquer::session::testing::crash_round(
        LACQUER_NOTE_WRITER, db, std::chrono::microseconds(kill_us(rng)), acked);
    if (!r.failure.empty()) {
      std::fprintf(stderr, "round %d: %s\n", i, r.failure.c_str());
      return 1;
    }
    if ((i + 1) % 500 == 0) {
      std::printf("%d rounds, %zu acknowledged notes, all present\n", i + 1, acked.size());
      std::fflush(stdout);
    }
  }
  std::printf("soak passed: %d rounds, %zu acknowledged notes\n", rounds, acked.size());
  return 0;
}
