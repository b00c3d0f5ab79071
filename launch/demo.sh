#!/usr/bin/env bash
# The README's main job, from nothing: set up, build, synthesise whole-slide images, index their
# tiles, measure the kNN score of the initialisation, pretrain configs/debug/tiny_wsi.yaml over
# 2 MPI ranks, measure the trained teacher, print its gain over the initialisation and over the
# best of three random-feature backbones of the same architecture, and the teacher's entropy.
#   launch/demo.sh [--set key=value ...]     extra settings go to train and eval alike
# Work files: runs/demo/ (slides, index, labelled tiles; reused when their recipe is unchanged),
# the run: runs/tiny_wsi/. PATHODINO_DEMO_DIR moves both (the run to $PATHODINO_DEMO_DIR/runs/);
# PATHODINO_BUILD_DIR overrides the build folder (build/). PATHODINO_DEMO_MIN_GAIN: exit 1 when
# the trained teacher beats the best random-feature seed by fewer kNN points than this (tests).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PATHODINO_BUILD_DIR:-$repo/build}
config=configs/debug/tiny_wsi.yaml
work=${PATHODINO_DEMO_DIR:-runs/demo}
ranks=2
log() { printf '[demo] %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

"$repo/launch/setup.sh"
[ -f "$build/build.ninja" ] || cmake -S "$repo" -B "$build" -G Ninja
cmake --build "$build" --target pathodino --parallel "$(nproc)"
pathodino="$build/bin/pathodino"
cd "$repo"
start=$(date +%s)

"$repo/launch/demo_data.sh" "$pathodino" "$work"

settings=(--set "data.wsi.index=$work/tiles.pdidx" --set "eval.knn_dataset=$work/slides/labelled")
[ -z "${PATHODINO_DEMO_DIR:-}" ] || settings+=(--set "run.output_dir=$work/runs")
set -- "${settings[@]}" "$@"

top1() { python3 -c 'import json,sys; print(json.load(sys.stdin)["top1"])'; }
t=$(date +%s)
init=$("$pathodino" eval knn -c "$config" "$@" --json | top1)
log "kNN top-1 of the initialisation: $init ($(elapsed "$t"))"
# The yardstick a learning claim is measured against (Note [Random-feature yardstick] in
# trainer/cli/eval_command.cpp): random features of the same ViT without LayerScale, best of 3 seeds.
t=$(date +%s)
random=$("$pathodino" eval knn -c "$config" "$@" --random-baseline 3 --json)
log "kNN top-1 of random features (no LayerScale, seeds 0 1 2): $(python3 -c \
  'import json,sys; print(*json.load(sys.stdin)["seeds"])' <<< "$random") ($(elapsed "$t"))"

t=$(date +%s)
PATHODINO_BIN="$pathodino" "$repo/launch/mpirun.sh" -n "$ranks" train -c "$config" --overwrite \
  --set eval.knn_every_steps=325 "$@"
log "pretraining over $ranks ranks took $(elapsed "$t")"

run_dir=$("$pathodino" config show -c "$config" "$@" |
  awk '/^run:/{r=1;next} /^[^ ]/{r=0} r&&$1=="name:"{n=$2} r&&$1=="output_dir:"{d=$2} END{print d"/"n}')
trained=$("$pathodino" eval knn -c "$config" "$@" --backbone "$run_dir/teacher_backbone.safetensors" --json | top1)
"$repo/.venv/bin/python" - "$init" "$trained" "$(elapsed "$start")" "${PATHODINO_DEMO_MIN_GAIN:-}" \
  "$(top1 <<< "$random")" "$run_dir" <<'PY'
import json, math, sys, yaml
init, trained, took, need = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
best_random = float(sys.argv[5])
run = sys.argv[6]
log_k = math.log(yaml.safe_load(open(f"{run}/config.yaml"))["ssl"]["dino"]["head"]["n_prototypes"])
rows = [r for r in map(json.loads, open(f"{run}/metrics.jsonl")) if "teacher_entropy" in r][-10:]
entropy = sum(r["teacher_entropy"] for r in rows) / len(rows) / log_k
gain, over_random = 100 * (trained - init), 100 * (trained - best_random)
print(f"[demo] kNN top-1 on held-out labelled tiles: init {100*init:.2f}% -> trained {100*trained:.2f}% "
      f"(gain {gain:+.2f} points); synth + index + eval + training took {took}")
print(f"[demo] against random features of the same ViT (best of 3 seeds, {100*best_random:.2f}%): "
      f"{over_random:+.2f} points")
print(f"[demo] teacher entropy over the last {len(rows)} logged steps: {entropy:.3f} log K "
      "(1 = uniform targets: the DINO term teaches nothing)")
if need and over_random < float(need):
    sys.exit(f"[demo] the gain over random features is below {need} points")
PY
