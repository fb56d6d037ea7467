#!/usr/bin/env bash
# Installs, builds and runs every test: the engine's concurrency test under ThreadSanitizer,
# then unit, integration (real jackd, SQLite, OSC and WebSocket peers) and browser tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" -DLACQUER_BUILD_TESTS=ON -DLACQUER_BUILD_BENCH=ON

echo "== ThreadSanitizer: engine parameter path and chain swap"
cmake -S "$root" -B "$root/build-tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLACQUER_SANITIZER=thread -DLACQUER_BUILD_BENCH=OFF >/dev/null
cmake --build "$root/build-tsan" --target lacquer_engine_tests -j"$(nproc)"
TSAN_OPTIONS="halt_on_error=1" "$root/build-tsan/tests/dsp/lacquer_engine_tests"

echo "== Unit, integration and browser tests"
ctest --test-dir "$root/build" --output-on-failure -j2 --timeout 300
