#!/usr/bin/env bash
# Installs, builds and runs every test: the engine's concurrency test under ThreadSanitizer,
# a short libFuzzer run of the protocol parsers, then unit, integration (real jackd, SQLite,
# OSC and WebSocket peers) and browser tests.
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

echo "== Unit, integration and browser tests"
ctest --test-dir "$root/build" --output-on-failure -j2 --timeout 300
