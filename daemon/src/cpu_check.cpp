// Refuses to start on a CPU without the instruction set the build targets, with a message
// instead of an illegal-instruction crash. This file is compiled for the baseline x86-64 and
// runs before any static initialiser of the rest of the program.
#if defined(__x86_64__) && defined(LACQUER_REQUIRE_X86_64_V3)
#include <unistd.h>

#include <cstring>

namespace {

#if defined(LACQUER_REQUIRE_X86_64_V4)
constexpr const char* kLevel = "x86-64-v4 CPU (AVX-512 F, BW, CD, DQ, VL)";
#else
constexpr const char* kLevel = "x86-64-v3 CPU (AVX2, FMA, BMI2)";
#endif

bool supported() {
  __builtin_cpu_init();
  const bool v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                  __builtin_cpu_supports("bmi2");
#if defined(LACQUER_REQUIRE_X86_64_V4)
  return v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
#else
  return v3;
#endif
}

[[gnu::constructor(101)]] void require_instruction_set() {
  if (supported()) return;
  const char* parts[] = {"lacquer: this build needs an ", kLevel,
                         "; rebuild it on this machine or configure with -DLACQUER_ARCH=x86-64\n"};
  for (const char* p : parts) [[maybe_unused]] const auto written = write(2, p, std::strlen(p));
  _exit(1);
}

}  // namespace
#endif
