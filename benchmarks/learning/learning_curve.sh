#!/usr/bin/env bash
# The learning curve behind every learning claim, on the demo's data (launch/demo_data.sh):
# configs/debug/tiny_wsi.yaml pretrained over 2 MPI ranks with the live kNN monitor on the teacher
# every EVERY steps, next to the baselines a gain must be read against: random features of the same
# ViT without LayerScale (seeds 0, 1, 2) and kNN on raw pixels — all on the same held-out tiles.
#   benchmarks/learning/learning_curve.sh [--steps 2000] [--every 100] [--labelled-tiles N]
#                                         [--set key=value ...]
# --labelled-tiles N scores everything on N labelled tiles per class and split, synthesised with
# the demo's generator (seed 7) into the output folder, instead of the demo's 64: 4 × 256 held-out
# tiles read a kNN score to about ±1.3 points where 4 × 64 read it to about ±2.7.
# Writes runs/learning/{curve.csv,curve.md,curve.png} and the run in runs/learning/runs/
# (PATHODINO_LEARNING_DIR moves them; the demo's data stays in runs/demo or PATHODINO_DEMO_DIR).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${PATHODINO_BUILD_DIR:-$repo/build}
out=${PATHODINO_LEARNING_DIR:-$repo/runs/learning}
data=${PATHODINO_DEMO_DIR:-$repo/runs/demo}
steps=2000
every=100
labelled_tiles=0
while [ $# -gt 0 ]; do
  case $1 in
    --steps) steps=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --labelled-tiles) labelled_tiles=$2; shift 2 ;;
    *) break ;;
  esac
done
config=$repo/configs/debug/tiny_wsi.yaml
per_epoch=25
[ $((steps % per_epoch)) -eq 0 ] || { echo "learning_curve: --steps must be a multiple of $per_epoch" >&2; exit 2; }

"$repo/launch/setup.sh" > /dev/null
[ -f "$build/build.ninja" ] || cmake -S "$repo" -B "$build" -G Ninja
cmake --build "$build" --target pathodino --parallel "$(nproc)" > /dev/null
pathodino=$build/bin/pathodino
python=$repo/.venv/bin/python
"$repo/launch/demo_data.sh" "$pathodino" "$data"
mkdir -p "$out"
labelled=$data/slides/labelled
if [ "$labelled_tiles" -gt 0 ]; then
  labelled=$out/labelled-$labelled_tiles/labelled
  [ -d "$labelled/val" ] || "$pathodino" synth --out "$out/labelled-$labelled_tiles" --slides 1 \
    --width 4096 --height 3072 --seed 7 --labelled-tiles "$labelled_tiles" --tile-size 224 | tail -n 1
fi

set -- --set "data.wsi.index=$data/tiles.pdidx" --set "eval.knn_dataset=$labelled" \
  --set "run.output_dir=$out/runs" --set run.name=curve --set optim.epochs=$((steps / per_epoch)) \
  --set optim.iterations_per_epoch=$per_epoch --set eval.knn_every_steps="$every" "$@"
random=($("$pathodino" eval knn -c "$config" "$@" --random-baseline 3 --json |
  "$python" -c 'import json,sys; print(*json.load(sys.stdin)["seeds"])'))
raw=$("$python" "$repo/benchmarks/learning/raw_pixel_knn.py" "$labelled")
echo "[learning] random features (seeds 0 1 2): ${random[*]}; raw pixels: $raw"

start=$(date +%s)
PATHODINO_BIN="$pathodino" "$repo/launch/mpirun.sh" -n 2 train -c "$config" --overwrite "$@" |
  grep -E '^(run|knn|warning|done)'
echo "[learning] training took $(( $(date +%s) - start )) s"
"$python" "$repo/benchmarks/learning/plot_curve.py" "$out/runs/curve/metrics.jsonl" "$out" \
  --raw "$raw" --random "${random[@]}"
