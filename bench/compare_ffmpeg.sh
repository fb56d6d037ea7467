#!/usr/bin/env bash
# Times `lacquer render` against ffmpeg's nearest chain on the same generated file, in the
# same run, and prints both as multiples of real time.
#
#   bench/compare_ffmpeg.sh [BUILD_DIR] [SECONDS]
#
# BUILD_DIR holds the built tree (default: build); SECONDS the material length (300).
# Lacquer's chain is the benchmark's (lacquer_bench_chain --chain): 8 EQ bands, 4-band
# multiband, glue comp, true-peak limiter, 16-bit dither; rendered once as is, and once with
# --target spotify (re-rendered until -14 LUFS / -1 dBTP, as loudnorm's job).
# ffmpeg's nearest: equalizer x8, acompressor, alimiter, loudnorm (two-pass-free dynamic
# mode). ffmpeg has no Linkwitz-Riley multiband compressor, so that stage has no counterpart.
set -euo pipefail

build=${1:-build}
seconds=${2:-300}
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
filters="$eq,acompressor=threshold=-18dB:ratio=2:attack=30:release=200:detection=rms"
filters+=",alimiter=limit=-1dB:level=false,loudnorm=I=-14:TP=-1"

elapsed() {  # prints the wall time of a command in seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

t_lacquer=$(elapsed "$lacquer" render "$work/in.wav" "$work/lacquer.wav" --chain "$work/chain.json" --bits 16)
t_target=$(elapsed "$lacquer" render "$work/in.wav" "$work/lacquer_spotify.wav" --chain "$work/chain.json" --bits 16 --target spotify)
t_ffmpeg=$(elapsed ffmpeg -nostdin -y -i "$work/in.wav" -af "$filters" -ar 48000 -c:a pcm_s16le "$work/ffmpeg.wav")

printf '%-44s %8s %10s\n' "chain ($seconds s stereo 48 kHz)" "seconds" "x realtime"
row() { printf '%-44s %8.2f %10.0f\n' "$1" "$2" "$(echo "$seconds / $2" | bc -l)"; }
row "lacquer render (one pass)" "$t_lacquer"
row "lacquer render --target spotify (all passes)" "$t_target"
row "ffmpeg eq x8 + acompressor + alimiter + loudnorm" "$t_ffmpeg"
