#!/usr/bin/env bash
# The README's main job, from nothing: set up, build, synthesise whole-slide images, index their
# tiles, pretrain configs/debug/tiny_wsi.yaml over 2 MPI ranks (its live kNN scores the
# initialisation before the first step; the run ends with its report:
# runs/tiny_wsi/report/report.md), print the trained teacher's gain over the initialisation and
# over the best of three random-feature backbones of the same architecture (scored by the
# report), and the teacher's entropy.
#   launch/demo.sh [--set key=value ...]     extra settings go to the run
# Work files: runs/demo/ (slides, index, labelled tiles; reused when their recipe is unchanged),
# the run: runs/tiny_wsi/. PATHODINO_DEMO_DIR moves both (the run to $PATHODINO_DEMO_DIR/runs/);
# PATHODINO_BUILD_DIR overrides the build folder (build/). PATHODINO_DEMO_MIN_GAIN: exit 1 when
# the trained teacher beats the best random-feature seed by fewer kNN points than this (tests).
# PATHODINO_DEMO_PSEUDONYMISE=1: the index and the run name slides and patients by pseudonym
# (privacy.pseudonymise, Note [Pseudonyms]) under the key $work/pseudonym.key, made when missing.
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

settings=(--set "data.wsi.index=$work/tiles.pdidx" --set "eval.knn_dataset=$work/slides/labelled")
key=
if [ "${PATHODINO_DEMO_PSEUDONYMISE:-0}" = 1 ]; then
  key=$work/pseudonym.key
  mkdir -p "$work"
  [ -f "$key" ] || "$pathodino" keys generate-aes --out "$key" > /dev/null
  settings+=(--set privacy.pseudonymise=true --set "privacy.key_file=$key")
fi
"$repo/launch/demo_data.sh" "$pathodino" "$work" ${key:+"$key"}

[ -z "${PATHODINO_DEMO_DIR:-}" ] || settings+=(--set "run.output_dir=$work/runs")
set -- "${settings[@]}" "$@"

# The run's folder and length from its resolved config; the live kNN scores the initialisation
# before the first step (logged as knn_top1_at_start), then runs halfway and at the end.
py="$repo/.venv/bin/python"
resolved=$("$pathodino" config show -c "$config" "$@")
shape=$("$py" -c 'import sys, yaml
c = yaml.safe_load(sys.stdin)
print(c["run"]["output_dir"] + "/" + c["run"]["name"],
      c["optim"]["epochs"] * c["optim"]["iterations_per_epoch"] // 2)' <<< "$resolved")
read -r run_dir half <<< "$shape"

t=$(date +%s)
PATHODINO_BIN="$pathodino" "$repo/launch/mpirun.sh" -n "$ranks" train -c "$config" --overwrite \
  --set eval.knn_every_steps="$half" "$@"
log "pretraining over $ranks ranks and its report took $(elapsed "$t")"
init=$("$py" -c 'import json, sys
for line in open(sys.argv[1]):
    record = json.loads(line)
    if "knn_top1_at_start" in record:
        print(record["knn_top1_at_start"]); break
else:
    sys.exit("[demo] the run logged no kNN score of its initialisation")' "$run_dir/metrics.jsonl")
log "kNN top-1 of the initialisation (scored by the run before its first step): $init"

# The run report scored the teacher and the yardstick a learning claim is measured against (Note
# [Random-feature yardstick] in trainer/config/random_features.h): random features of the same
# ViT without LayerScale, best of eval.report_seeds seeds (3 by default).
report="$run_dir/report/report.json"
read -r trained random seeds <<< "$("$py" -c 'import json, sys
e = json.load(open(sys.argv[1]))["evaluation"]
print(e["teacher"]["knn_top1"], e["random"]["best"]["knn_top1"],
      ",".join(str(s["knn_top1"]) for s in e["random"]["seeds"]))' "$report")"
log "kNN top-1 of random features (no LayerScale, one per seed): ${seeds//,/ }"
log "run report: $run_dir/report/report.md"
health=$("$py" "$repo/launch/teacher_entropy.py" "$run_dir")
read -r entropy rows <<< "$health"
"$py" - "$init" "$trained" "$(elapsed "$start")" "${PATHODINO_DEMO_MIN_GAIN:-}" \
  "$random" "$entropy" "$rows" "$seeds" <<'PY'
import sys
init, trained, took, need = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
best_random, entropy, rows = float(sys.argv[5]), sys.argv[6], sys.argv[7]
seeds = len(sys.argv[8].split(","))
gain, over_random = 100 * (trained - init), 100 * (trained - best_random)
print(f"[demo] kNN top-1 on held-out labelled tiles: init {100*init:.2f}% -> trained {100*trained:.2f}% "
      f"(gain {gain:+.2f} points); synth, index, training and report took {took}")
print(f"[demo] against random features of the same ViT (best of {seeds} seeds, {100*best_random:.2f}%): "
      f"{over_random:+.2f} points")
print(f"[demo] teacher entropy over the last {rows} logged steps: {entropy} log K "
      "(1 = uniform targets: the DINO term teaches nothing)")
if need and over_random < float(need):
    sys.exit(f"[demo] the gain over random features is below {need} points")
PY
