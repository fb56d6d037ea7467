#!/usr/bin/env bash
# `lacquer serve --demo` on jackd's dummy backend under clients: 100 WebSocket meter
# subscribers, 20 Opus listeners on /listen and an OSC surface at 20 000 messages/s (see
# bench_serve_clients.cpp for what is measured).
# Usage: bench/serve_clients.sh [SECONDS=60] [PERIOD=64] [SUBSCRIBERS=100] [LISTENERS=20] [OSC_PER_S=20000]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LACQUER_BUILD:-$root/build}
seconds=${1:-60}
period=${2:-64}
name="lqclients-$$"
port=$((20000 + RANDOM % 20000))
work=$(mktemp -d)
cleanup() {
  kill "${daemon_pid:-}" "${jackd_pid:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

jackd -n "$name" -d dummy -r 48000 -p "$period" >"$work/jackd.log" 2>&1 &
jackd_pid=$!
jack_wait --server "$name" --wait --timeout 10 >/dev/null 2>&1
LACQUER_TOKEN=bench "$build/daemon/lacquer" serve --demo --jack-server "$name" \
  --http "127.0.0.1:$port" --osc $((port + 1)) --db "$work/bench.db" --log-level error \
  >"$work/serve.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "period $period frames at 48 kHz"
"$build/bench/lacquer_bench_serve_clients" "$port" $((port + 1)) bench "$daemon_pid" "$seconds" \
  "${3:-100}" "${4:-20}" "${5:-20000}"
