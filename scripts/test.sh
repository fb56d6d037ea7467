#!/usr/bin/env bash
# Installs, builds and runs every test: the engine's concurrency test under ThreadSanitizer,
# a short libFuzzer run of the protocol parsers, the chain's tests built without AVX-512 (on
# a machine with it), then unit, integration (real jackd, SQLite, OSC and WebSocket peers)
# and browser tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" -DLACQUER_BUILD_TESTS=ON -DLACQUER_BUILD_BENCH=ON

echo "== ThreadSanitizer: engine parameter path and chain swap"
cmake -S "$root" -B "$root/build-tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLACQUER_SANITIZER=thread -DLACQUER_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build-tsan" --target lacquer_engine_tests -j"$(nproc)"
TSAN_OPTIONS="halt_on_error=1" "$root/build-tsan/tests/dsp/lacquer_engine_tests"

echo "== Fuzzing: OSC decoder and WebSocket JSON parser (libFuzzer, ASan, UBSan)"
cmake -S "$root" -B "$root/build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DLACQUER_BUILD_FUZZERS=ON \
  -DLACQUER_SANITIZER=address,undefined,fuzzer-no-link -DLACQUER_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build-fuzz" --target lacquer_fuzz_osc lacquer_fuzz_ws_json -j"$(nproc)"
ctest --test-dir "$root/build-fuzz" -L fuzz --output-on-failure

echo "== The chain without AVX-512: its tests, and its output the same to the bit"
# On a machine with AVX-512 the main build takes x86-64-v4 (LACQUER_ARCH=auto), and parts of
# the chain run there in 512-bit vectors; an x86-64-v3 build runs them in 256-bit ones.
if grep -qw avx512f /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo; then
  cmake -S "$root" -B "$root/build-v3" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLACQUER_ARCH=x86-64-v3 -DLACQUER_BUILD_TESTS=ON -DLACQUER_BUILD_BENCH=ON >/dev/null
  cmake --build "$root/build-v3" --target lacquer_dsp_tests lacquer_bench_chain -j"$(nproc)"
  "$root/build-v3/tests/dsp/lacquer_dsp_tests" --gtest_brief=1
  v4=$("$root/build/bench/lacquer_bench_chain" --offline --seconds 30 | grep digest)
  v3=$("$root/build-v3/bench/lacquer_bench_chain" --offline --seconds 30 | grep digest)
  echo "x86-64-v4 $v4; x86-64-v3 $v3"
  [[ $v4 == "$v3" ]] || { echo "the chain's output differs between x86-64-v4 and x86-64-v3" >&2; exit 1; }
else
  echo "(no AVX-512 here: the main build is the x86-64-v3 one)"
fi

echo "== Unit, integration and browser tests"
ctest --test-dir "$root/build" --output-on-failure -j2 --timeout 300
