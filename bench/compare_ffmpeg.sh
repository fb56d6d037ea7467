#!/usr/bin/env bash
# Times Lacquer against ffmpeg's nearest chain on the same generated file, in the same run,
# and prints each as a multiple of real time and Lacquer's lead over ffmpeg.
#
#   bench/compare_ffmpeg.sh [BUILD_DIR] [SECONDS] [RUNS]
#
# BUILD_DIR holds the built tree (default: build); SECONDS the material length (300); every
# command runs RUNS times (default 2) and its best time counts (a shared machine slows single
# runs down). Lacquer's chain is the benchmark's (lacquer_bench_chain --chain): 8 EQ bands,
# 4-band multiband, glue comp, true-peak limiter, 16-bit dither, timed
#   - alone, in memory on one core (lacquer_bench_chain --offline, its best of three);
#   - as `lacquer render`, one pass with file reading and writing;
#   - as `lacquer render --target spotify`, its passes until -14 LUFS / -1 dBTP.
# Then where the chain's time goes: lacquer_bench_chain --stages on 60 s of the material.
# ffmpeg's nearest: highpass x2, shelves, equalizer x4, lowpass, acompressor, alimiter; then
# the same with loudnorm (dynamic mode) for the target. ffmpeg has no Linkwitz-Riley
# multiband compressor, so that stage has no counterpart.
set -euo pipefail

build=${1:-build}
seconds=${2:-300}
runs=${3:-2}
lacquer="$build/daemon/lacquer"
bench="$build/bench/lacquer_bench_chain"
for tool in "$lacquer" "$bench"; do
  [[ -x $tool ]] || { echo "missing $tool (build the lacquer and lacquer_bench_chain targets)" >&2; exit 1; }
done
command -v ffmpeg >/dev/null || { echo "ffmpeg not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bench" --seconds "$seconds" --chain "$work/chain.json" --wav "$work/in.wav"

# Same settings as the chain file, in ffmpeg's terms (band 6 works on the side signal in
# Lacquer; ffmpeg's equalizer runs it on both channels).
eq="highpass=f=25:poles=2,highpass=f=25:poles=2"
eq+=",lowshelf=f=90:g=1.5"
eq+=",equalizer=f=250:t=q:w=1.2:g=-2"
eq+=",equalizer=f=700:t=q:w=2:g=-1"
eq+=",equalizer=f=2500:t=q:w=0.8:g=1"
eq+=",equalizer=f=5000:t=q:w=3:g=-1.5"
eq+=",highshelf=f=10000:g=2"
eq+=",lowpass=f=20000"
chain="$eq,acompressor=threshold=-18dB:ratio=2:attack=30:release=200:detection=rms"
chain+=",alimiter=limit=-1dB:level=false"

best() {  # prints the best wall time of RUNS runs of a command, in seconds
  local t0 t1 t b=
  for ((k = 0; k < runs; ++k)); do
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    if [[ -z $b ]] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
  done
  echo "$b"
}

# The chain alone: the benchmark's best of three, as seconds.
t_chain=$("$bench" --offline --seconds "$seconds" | sed -n 's/.*best \([0-9.]*\) s.*/\1/p')
t_ff_chain=$(best ffmpeg -nostdin -y -i "$work/in.wav" -af "$chain" -ar 48000 -c:a pcm_s16le "$work/ff.wav")
t_render=$(best "$lacquer" render "$work/in.wav" "$work/lacquer.wav" --chain "$work/chain.json" --bits 16)
t_target=$(best "$lacquer" render "$work/in.wav" "$work/lacquer_spotify.wav" --chain "$work/chain.json" --bits 16 --target spotify)
t_ff_target=$(best ffmpeg -nostdin -y -i "$work/in.wav" -af "$chain,loudnorm=I=-14:TP=-1" -ar 48000 -c:a pcm_s16le "$work/ff_loud.wav")

printf '%-52s %8s %10s %10s\n' "$seconds s stereo 48 kHz, best of $runs" "seconds" "x realtime" "x ffmpeg"
row() {  # name, seconds, ffmpeg's seconds for the same job (or empty)
  local lead=""
  [[ -n ${3:-} ]] && lead=$(printf '%.1f' "$(echo "$3 / $2" | bc -l)")
  printf '%-52s %8.3f %10.0f %10s\n' "$1" "$2" "$(echo "$seconds / $2" | bc -l)" "$lead"
}
row "lacquer chain alone (bench --offline, one core)" "$t_chain" "$t_ff_chain"
row "lacquer render (one pass, file to file)" "$t_render" "$t_ff_chain"
row "ffmpeg eq + acompressor + alimiter" "$t_ff_chain"
row "lacquer render --target spotify (all passes)" "$t_target" "$t_ff_target"
row "ffmpeg eq + acompressor + alimiter + loudnorm" "$t_ff_target"
echo
"$bench" --stages --seconds 60
