#!/usr/bin/env bash
# Times `lacquer analyze` against ffmpeg's ebur128 filter (loudness and true peak only) on the
# same generated file, in the same run, and prints both and their ratio.
#
#   bench/bench_analyze.sh [BUILD_DIR] [SECONDS] [RUNS]
#
# BUILD_DIR holds the built tree (default: build); SECONDS the material length (300); each
# command runs RUNS times (3) and its best wall time counts (a shared machine varies from run
# to run), with its CPU time (user + system) beside it. The material is the chain
# benchmark's: 48 kHz stereo music-like material, 24-bit WAV.
# lacquer analyze runs every detector (loudness, true peak, clips, clicks, dropouts, DC,
# phase, spectrum, platforms), once without and once with the Opus round trip (codec
# headroom), which is an encode and decode of the whole file at 128 kb/s.
set -euo pipefail

build=${1:-build}
seconds=${2:-300}
runs=${3:-3}
tools=("$build/daemon/lacquer" "$build/bench/lacquer_bench_chain")
missing=$(for t in "${tools[@]}"; do [[ -x $t ]] || echo "$t"; done)
[[ -z $missing ]] || { echo "missing: $missing (build lacquer and lacquer_bench_chain)" >&2; exit 1; }
hash ffmpeg 2>/dev/null || { echo "ffmpeg not found" >&2; exit 1; }
lacquer=${tools[0]}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${tools[1]}" --seconds "$seconds" --wav "$work/in.wav" >/dev/null

# Best wall time of RUNS runs and the CPU time of that run: "WALL CPU".
best() {
  local best_wall="" best_cpu=""
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null 2>&1
    read -r wall user sys < "$work/time"
    if [[ -z $best_wall ]] || (( $(echo "$wall < $best_wall" | bc -l) )); then
      best_wall=$wall
      best_cpu=$(echo "$user + $sys" | bc -l)
    fi
  done
  echo "$best_wall $best_cpu"
}

read -r t_ff c_ff < <(best ffmpeg -nostdin -nostats -i "$work/in.wav" -af ebur128=peak=true -f null -)
read -r t_an c_an < <(best "$lacquer" analyze --json --no-codec "$work/in.wav")
read -r t_co c_co < <(best "$lacquer" analyze --json "$work/in.wav")

printf '%-52s %8s %8s %12s\n' "analysis of $seconds s stereo 48 kHz" "wall s" "CPU s" "vs ffmpeg"
row() { printf '%-52s %8.2f %8.2f %11.1fx\n' "$1" "$2" "$3" "$(echo "$t_ff / $2" | bc -l)"; }
row "ffmpeg -af ebur128=peak=true" "$t_ff" "$c_ff"
row "lacquer analyze (every detector, no codec)" "$t_an" "$c_an"
row "lacquer analyze (every detector + Opus round trip)" "$t_co" "$c_co"
