#!/usr/bin/env bash
# Does HED stain jitter make the features less site-bound? Two sites that differ only in stain:
# synthetic tissue tiles (`synth --labelled-tiles`, per-image stain variation STAIN_VARIATION, none
# by default, so that the sites' stain is the only stain difference), every second one re-stained
# for site_b in
# Ruifrok & Johnston's HED space (haematoxylin ×1.2, eosin ×0.85: a lab with a heavier
# haematoxylin bath). Two tiny_cpu pretrainings on the train split's tiles of both sites,
# unlabelled, alike but for data.hed_jitter (0, then SIGMA), then `eval robustness` and `eval knn`
# per site on the labelled CSV for both teachers, and random features as the yardstick.
#   benchmarks/robustness_hed.sh BUILD_DIR [SIGMA=0.2] [TILES_PER_CLASS=64] [STAIN_VARIATION=0]
#                                [RUN_SEED=0]   (run.seed of both pretrainings)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$1 sigma=${2:-0.2} per_class=${3:-64} stain_variation=${4:-0} run_seed=${5:-0}
python=$("$repo/benchmarks/python_env.sh")
bin="$build/bin/pathodino"
config="$repo/configs/debug/tiny_cpu.yaml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" synth --out "$work/s" --slides 2 --width 2048 --height 1536 --labelled-tiles "$per_class" \
  --tile-size 64 --stain-variation "$stain_variation" --seed 11 > /dev/null
"$python" - "$work/s/labelled" "$work/train_tiles" <<'PY'
import csv, pathlib, sys
import numpy as np
from PIL import Image
root, train_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
train_dir.mkdir()
rgb_from_hed = np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
hed_from_rgb = np.linalg.inv(rgb_from_hed)
def restain(rgb):  # optical density -> HED, scale the stains, back
    od = -np.log(np.maximum(rgb.astype(float), 1) / 255)
    hed = od @ hed_from_rgb
    hed[..., 0] *= 1.2
    hed[..., 1] *= 0.85
    return np.clip(255 * np.exp(-(hed @ rgb_from_hed)), 0, 255).astype(np.uint8)
rows = []
for i, f in enumerate(sorted(root.glob("*/*/*.png"))):
    split, label = f.parts[-3], f.parts[-2]
    site, path = ("site_a", f.relative_to(root)) if i % 2 == 0 else ("site_b", None)
    if path is None:
        path = pathlib.Path("site_b") / f.relative_to(root)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(restain(np.asarray(Image.open(f).convert("RGB")))).save(root / path)
    rows.append((str(path), label, split, site))
    if split == "train":
        (train_dir / f"{i:05d}.png").symlink_to(root / path)
with open(root / "sites.csv", "w", newline="") as out:
    w = csv.writer(out)
    w.writerow(["path", "label", "split", "site"])
    w.writerows(rows)
print(f"{len(rows)} labelled tiles, {sum(r[2] == 'train' for r in rows)} for pretraining")
PY
common=(--set "eval.knn_dataset=$work/s/labelled/sites.csv" --set data.source=images
        --set "data.images.root=$work/train_tiles")
for jitter in 0 "$sigma"; do
  start=$(date +%s)
  "$bin" train -c "$config" "${common[@]}" --set "data.hed_jitter=$jitter" --set "run.seed=$run_seed" \
    --set "run.output_dir=$work/runs" --set "run.name=hed_$jitter" > "$work/train_$jitter.out"
  echo "pretraining with data.hed_jitter=$jitter: $(( $(date +%s) - start )) s"
done
report() {  # NAME ARGS…: Robustness Index, site predictability, kNN per site
  local name=$1; shift
  local robust knn
  robust=$("$bin" eval robustness -c "$config" "${common[@]}" "$@" --json)
  knn=$("$bin" eval knn -c "$config" "${common[@]}" "$@" --json)
  python3 -c "
import json, sys
r, k = json.loads(sys.argv[2]), json.loads(sys.argv[3])
by = {g['group']: g['balanced'] for g in k['groups']}
print(f\"| {sys.argv[1]} | {r['robustness_index']:.3f} | {100 * r['site_balanced']:.1f}% | \"
      f\"{100 * k['balanced']:.1f}% | {100 * by['site_a']:.1f}% | {100 * by['site_b']:.1f}% |\")
" "$name" "$robust" "$knn"
}
echo "| features | Robustness Index (k=20) | site predictability (balanced) | kNN balanced | kNN site_a | kNN site_b |"
echo "|---|---|---|---|---|---|"
for seed in 0 1 2; do
  report "random, seed $seed" --set model.layerscale_init=0 --init-seed "$seed"
done
report "trained, hed_jitter 0" --backbone "$work/runs/hed_0/teacher_backbone.safetensors"
report "trained, hed_jitter $sigma" --backbone "$work/runs/hed_$sigma/teacher_backbone.safetensors"
