#!/usr/bin/env bash
# The learning proof: vit_tiny pretrained with configs/debug/tiny_cpu.yaml on the synthetic
# labelled tissue (4 classes with per-image stain variation, rendered from the run seed) must beat
# random features of the same architecture without LayerScale, best of three seeds (Note
# [Random-feature yardstick] in trainer/config/random_features.h), by at least MIN_GAIN points of
# weighted kNN top-1 (k=20, T=0.07), and its teacher entropy over the last 10 logged steps must be
# at most 0.95 log K. The gain over the initialisation is printed next to it.
#   knn_learning_proof.sh PATHODINO ROOT [MIN_GAIN=10] [--set KEY=VALUE ...]
set -euo pipefail
bin=$1
root=$2
min_gain=${3:-10}
shift 3 || shift $#
config="$root/configs/debug/tiny_cpu.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--set "run.output_dir=$tmp" --set run.name=proof "$@")

start=$(date +%s)
"$bin" train -c "$config" "${common[@]}" | grep -E '^(run|  data|step .*(50|00)/|done)'
train_seconds=$(( $(date +%s) - start ))
init=$("$bin" eval knn -c "$config" "${common[@]}" --json)
trained=$("$bin" eval knn -c "$config" "${common[@]}" --json \
          --backbone "$tmp/proof/teacher_backbone.safetensors")
reference=$("$bin" eval knn -c "$config" "${common[@]}" --json --random-baseline 3)
echo "init:      $init"
echo "trained:   $trained"
echo "reference: $reference"
health=$("$root/.venv/bin/python" "$root/launch/teacher_entropy.py" "$tmp/proof")
read -r entropy rows <<< "$health"
python3 - "$init" "$trained" "$min_gain" "$train_seconds" "$reference" "$entropy" "$rows" <<'PY'
import json, sys
init, trained = json.loads(sys.argv[1])["top1"], json.loads(sys.argv[2])["top1"]
gain, need, seconds = 100 * (trained - init), float(sys.argv[3]), int(sys.argv[4])
best_random = json.loads(sys.argv[5])["top1"]
entropy, rows = float(sys.argv[6]), sys.argv[7]
over_random = 100 * (trained - best_random)
print(f"kNN top-1: init {100 * init:.2f}% -> trained {100 * trained:.2f}% "
      f"(gain {gain:+.2f} points); training took {seconds} s")
print(f"against random features (best of 3 seeds, {100 * best_random:.2f}%): "
      f"{over_random:+.2f} points, need >= {need:g}")
# The teacher's targets must have left uniform (log K): otherwise the DINO term teaches nothing.
print(f"teacher entropy over the last {rows} logged steps: {entropy:.3f} log K, need <= 0.95")
sys.exit(0 if over_random >= need and entropy <= 0.95 else 1)
PY
