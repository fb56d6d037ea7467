#!/usr/bin/env bash
# Times `lacquer deliver` on a generated album (streaming + CD + hi-res, compliance reports
# and manifest included) and, for the streaming set alone, next to ffmpeg's loudnorm per track
# (two at a time, as deliver's --jobs 2), and prints each as a multiple of real time.
#
#   bench/deliver.sh [BUILD_DIR] [TRACKS] [SECONDS_PER_TRACK] [RUNS]
#
# The three commands run in turn RUNS times (default 2) and each one's best time counts: a
# shared machine's speed moves by 10 % from one minute to the next. With BASELINE=BINARY in
# the environment, another build's whole delivery runs in each turn too, beside this one's.
# BUILD_DIR holds the built tree (default: build); the album is TRACKS tracks (12) of
# SECONDS_PER_TRACK seconds (225: 45 minutes), 48 kHz stereo, the benchmark's material at
# levels from -11 to 0 dB, each mastered with the benchmark's chain (8 EQ bands, 4-band
# multiband, glue comp, true-peak limiter), 2 s pregaps and a 3 s crossfade into every
# fourth track. Streaming goes to Spotify (-14 LUFS, -1 dBTP) per track; ffmpeg's loudnorm
# (I=-14, TP=-1, 24-bit FLAC at 48 kHz) does only that loudness step, without a chain.
# Dense material limited to -1 dBTP comes back from the Opus round trip above -0.5 dBTP, so the
# codec headroom rule is overridden here: the benchmark times the delivery, the rule's lines
# stay in streaming/compliance.json.
set -euo pipefail

build=${1:-build}
tracks=${2:-12}
seconds=${3:-225}
runs=${4:-2}
lacquer="$build/daemon/lacquer"
bench="$build/bench/lacquer_bench_chain"
for tool in "$lacquer" "$bench"; do
  [[ -x $tool ]] || { echo "missing $tool (build the lacquer and lacquer_bench_chain targets)" >&2; exit 1; }
done
for tool in ffmpeg sox python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bench" --seconds "$seconds" --chain "$work/chain.json" --wav "$work/base.wav"
for ((i = 1; i <= tracks; i++)); do
  sox "$work/base.wav" -e floating-point -b 32 "$work/t$i.wav" vol "$(( (i - 1) % 12 - 11 ))dB"
done
python3 - "$work" "$tracks" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
chain = json.load(open(f"{work}/chain.json"))
album = {"title": "Bench", "artist": "Lacquer", "year": 2026, "label": "Bench", "catalogue": "5012345678900",
         "tracks": [{"title": f"Track {i}", "isrc": f"GBAYE26{i:05d}", "file": f"{work}/t{i}.wav",
                     "pregap_s": 2.0 if i > 1 else 0.0, "crossfade_s": 3.0 if i % 4 == 0 else 0.0,
                     "snapshot": chain} for i in range(1, n + 1)]}
json.dump(album, open(f"{work}/album.json", "w"))
PY

elapsed() {  # prints the wall time of a command in seconds; its stderr goes to $work/log
  local t0 t1
  sync  # each command starts with nothing of the one before still being written to disk
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>>"$work/log" || { cat "$work/log" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

loudnorm() {
  mkdir -p "$work/ffmpeg"
  seq 1 "$tracks" | xargs -P 2 -I{} ffmpeg -nostdin -loglevel error -y -i "$work/t{}.wav" \
    -af loudnorm=I=-14:TP=-1 -ar 48000 -c:a flac -sample_fmt s32 -bits_per_raw_sample 24 "$work/ffmpeg/t{}.flac"
}

least() { if [[ -z $1 ]]; then echo "$2"; else echo "if ($2 < $1) $2 else $1" | bc -l; fi; }

total=$(echo "$tracks * $seconds" | bc -l)
t_all= t_streaming= t_ffmpeg= t_baseline=
for ((run = 1; run <= runs; run++)); do
  rm -rf "$work/all" "$work/baseline" "$work/streaming" "$work/ffmpeg"
  if [[ -n ${BASELINE:-} ]]; then
    t_baseline=$(least "$t_baseline" "$(elapsed "$BASELINE" deliver --album "$work/album.json" \
      --out "$work/baseline" --formats streaming,cd,hires --jobs 2 --override codec_headroom)")
  fi
  t_all=$(least "$t_all" "$(elapsed "$lacquer" deliver --album "$work/album.json" --out "$work/all" \
    --formats streaming,cd,hires --jobs 2 --override codec_headroom)")
  t_streaming=$(least "$t_streaming" "$(elapsed "$lacquer" deliver --album "$work/album.json" \
    --out "$work/streaming" --formats streaming --jobs 2 --override codec_headroom)")
  t_ffmpeg=$(least "$t_ffmpeg" "$(elapsed loudnorm)")
done

printf '%-58s %8s %10s\n' "album: $tracks tracks, $(echo "$total / 60" | bc) min, 48 kHz stereo, best of $runs" "seconds" "x realtime"
row() { printf '%-58s %8.1f %10.1f\n' "$1" "$2" "$(echo "$total / $2" | bc -l)"; }
[[ -n $t_baseline ]] && row "BASELINE deliver streaming+cd+hires" "$t_baseline"
row "lacquer deliver streaming+cd+hires (chain, checks)" "$t_all"
row "lacquer deliver streaming (chain, FLAC+WAV, checks)" "$t_streaming"
row "ffmpeg loudnorm per track, 2 at a time (no chain)" "$t_ffmpeg"
