#!/usr/bin/env bash
# Real-time load of `lacquer serve --demo` with the full default chain on jackd's dummy
# backend, with the clients a session has: one WebSocket meter subscriber and one Opus
# listener on /listen. Prints JACK's DSP load, the process callback's share of the period
# (mean, and the 99.9th percentile of each 5-s window) and the xrun count.
# Usage: bench/serve_load.sh [SECONDS=60] [PERIOD=64]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exec bash "$root/bench/serve_clients.sh" "${1:-60}" "${2:-64}" 1 1 0
