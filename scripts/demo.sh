#!/usr/bin/env bash
# Installs, builds and runs the demo: starts a dummy-backend JACK server when none is
# running, then `lacquer serve --demo`, which prints the UI's URL. Ctrl-C stops both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" -DLACQUER_BUILD_TESTS=OFF -DLACQUER_BUILD_BENCH=OFF

jackd_pid=""
# jack_wait --check exits 0 either way; it says "running" or "not running".
if [[ $(jack_wait --check 2>/dev/null) != running ]]; then
  echo "No JACK server running: starting jackd with the dummy backend (48 kHz, 256 frames)."
  jackd --no-realtime -d dummy -r 48000 -p 256 >"${TMPDIR:-/tmp}/lacquer-jackd.log" 2>&1 &
  jackd_pid=$!
  trap '[[ -n $jackd_pid ]] && kill "$jackd_pid" 2>/dev/null' EXIT
  jack_wait --wait --timeout 10 >/dev/null 2>&1
fi

export LACQUER_TOKEN=${LACQUER_TOKEN:-demo}
echo "Engineer token: $LACQUER_TOKEN (the console asks for it; or add #token=$LACQUER_TOKEN to the URL)"
"$root/build/daemon/lacquer" serve --demo --db "${LACQUER_DB:-$root/build/demo.db}" "$@"
