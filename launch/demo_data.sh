#!/usr/bin/env bash
# The demo's data, shared by launch/demo.sh and benchmarks/learning/: 6 synthetic whole-slide
# images (two per patient), their tile index and the held-out labelled tiles of the kNN
# evaluation, rebuilt only when their recipe (or the program) changed.
#   launch/demo_data.sh PATHODINO WORK_DIR [PSEUDONYM_KEY]
# With a pseudonym key the index names slides and patients by pseudonym in its lines, summary and
# QA pictures (Note [Pseudonyms]).
# Writes WORK_DIR/{slides/,tiles.pdidx,recipe}.
set -euo pipefail
pathodino=$1
work=$2
key=${3:-}
private=()
[ -z "$key" ] || private=(--pseudonymise-key "$key")
log() { printf '[demo] %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

recipe="synth --slides 6 --width 4096 --height 3072 --seed 7 --labelled-tiles 256 --tile-size 224 --patients
index --target-mpp 0.5 --tile-size 224 --tissue-threshold 0.6 ${private[*]} $(sha1sum "$pathodino" | cut -c1-12)"
if [ "$(cat "$work/recipe" 2>/dev/null)" != "$recipe" ]; then
  rm -rf "$work/slides" "$work/tiles.pdidx" "$work/tiles.pdidx.summary.csv" "$work/tiles.pdidx.qa" && mkdir -p "$work"
  t=$(date +%s)
  "$pathodino" synth --out "$work/slides" --slides 6 --width 4096 --height 3072 --seed 7 \
    --labelled-tiles 256 --tile-size 224 --patients | tail -n 1
  log "slides written in $(elapsed "$t")"
  t=$(date +%s)
  "$pathodino" index --slides "$work/slides/manifest.csv" --out "$work/tiles.pdidx" \
    --target-mpp 0.5 --tile-size 224 --tissue-threshold 0.6 --threads "$(nproc)" "${private[@]}"
  log "index built in $(elapsed "$t")"
  echo "$recipe" > "$work/recipe"
else
  log "slides and index in $work are up to date"
fi
