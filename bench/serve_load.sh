#!/usr/bin/env bash
# Real-time load of `lacquer serve --demo` with the full default chain on jackd's dummy
# backend: samples /healthz once a second and prints JACK's DSP load, the share of the
# period spent in Lacquer's process callback, and the xrun count.
# Usage: bench/serve_load.sh [SECONDS=60] [PERIOD=64] [RATE=48000]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
period=${2:-64}
rate=${3:-48000}
lacquer=${LACQUER_BINARY:-$root/build/daemon/lacquer}
name="lqload-$$"
port=$((20000 + RANDOM % 20000))
work=$(mktemp -d)
cleanup() {
  kill "${daemon_pid:-}" 2>/dev/null || true
  kill "${jackd_pid:-}" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

jackd -n "$name" -d dummy -r "$rate" -p "$period" >"$work/jackd.log" 2>&1 &
jackd_pid=$!
jack_wait --server "$name" --wait --timeout 10 >/dev/null 2>&1
LACQUER_TOKEN=bench "$lacquer" serve --demo --jack-server "$name" --http "127.0.0.1:$port" \
  --osc $((port + 1)) --db "$work/bench.db" --log-level warn >"$work/serve.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

for _ in $(seq "$seconds"); do
  sleep 1
  curl -sf "http://127.0.0.1:$port/healthz" >>"$work/samples.jsonl" && echo >>"$work/samples.jsonl"
done

python3 - "$work/samples.jsonl" "$seconds" "$period" "$rate" <<'PY'
import json, sys
rows = [json.loads(l)["jack"] for l in open(sys.argv[1]) if l.strip()]
dsp = [r["dsp_load_percent"] for r in rows]
proc = [100 * r["process_load"] for r in rows]
print(f"lacquer serve --demo, {sys.argv[2]} s at {sys.argv[4]} Hz / {sys.argv[3]}-frame period (dummy backend)")
print(f"  JACK DSP load      mean {sum(dsp)/len(dsp):6.2f} %   max {max(dsp):6.2f} %")
print(f"  process callback   mean {sum(proc)/len(proc):6.2f} %   max {max(proc):6.2f} % of the period")
print(f"  xruns              {rows[-1]['xruns']}")
PY
