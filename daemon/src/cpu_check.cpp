// Refuses to start on a CPU without the instruction set the build targets, with a message
// instead of an illegal-instruction crash. This file is compiled for the baseline x86-64 and
// runs before any static initialiser of the rest of the program.
#if defined(__x86_64__) && defined(LACQUER_REQUIRE_X86_64_V3)
#include <unistd.h>

#include <cstring>

namespace {

[[gnu::constructor(101)]] void require_x86_64_v3() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2")) {
    return;
  }
  const char* message =
      "lacquer: this build needs an x86-64-v3 CPU (AVX2, FMA, BMI2); rebuild it on this machine "
      "or configure with -DLACQUER_ARCH=x86-64\n";
  [[maybe_unused]] const auto written = write(2, message, std::strlen(message));
  _exit(1);
}

}  // namespace
#endif
