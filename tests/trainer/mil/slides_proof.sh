#!/usr/bin/env bash
# The slide-level proof: ABMIL (`eval slides`, 5 folds by patient) on synthetic slides whose label
# says whether a tumour region was drawn (40 slides, 2 per patient) scores the embeddings of a
# trained teacher above those of random features of the same architecture (no LayerScale, init
# seeds 0, 1, 2: the yardstick of every learning claim). Asserted: the teacher's mean AUROC over
# the folds exceeds every random seed's.
#   slides_proof.sh BIN_DIR TEACHER CONFIG
set -euo pipefail
bin=$1/pathodino
teacher=$2
config=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" synth --out "$tmp/slides" --slides 40 --width 1024 --height 768 --seed 21 \
  --class-proportions 30,30,30,10 --tumour-slides 0.5 > /dev/null
"$bin" index --slides "$tmp/slides/manifest.csv" --out "$tmp/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 224 --no-qa | grep -E ' tiles -> '
"$bin" embed -c "$config" --index "$tmp/tiles.pdidx" --backbone "$teacher" \
  --out "$tmp/trained" > /dev/null
for seed in 0 1 2; do
  "$bin" export --init vit_tiny_patch16 --seed $seed --img-size 64 --layerscale-init 0 \
    --out "$tmp/random$seed.safetensors" > /dev/null
  "$bin" embed -c "$config" --index "$tmp/tiles.pdidx" --backbone "$tmp/random$seed.safetensors" \
    --out "$tmp/random$seed" > /dev/null
  "$bin" eval slides --slides "$tmp/slides/manifest.csv" --folds 5 --epochs 20 --seed 0 \
    --embeddings "$tmp/trained" --baseline-embeddings "$tmp/random$seed" --json > "$tmp/$seed.json"
done
python3 - "$tmp" <<'PY'
import json, pathlib, sys
tmp = pathlib.Path(sys.argv[1])
runs = [json.load(open(tmp / f"{seed}.json")) for seed in range(3)]
trained = runs[0]
print(f"{trained['slides']} slides; trained teacher AUROC {trained['auroc']:.3f} ± "
      f"{trained['auroc_std']:.3f}, balanced accuracy {trained['balanced']:.3f}")
for seed, r in enumerate(runs):
    b = r["random_baseline"]
    print(f"random features, seed {seed}: AUROC {b['auroc']:.3f} ± {b['auroc_std']:.3f}, "
          f"balanced accuracy {b['balanced']:.3f}")
    assert abs(r["auroc"] - trained["auroc"]) < 1e-9, "the teacher's folds differ between runs"
best = max(r["random_baseline"]["auroc"] for r in runs)
if trained["auroc"] <= best:
    sys.exit(f"FAIL: the teacher's AUROC {trained['auroc']:.3f} does not beat random features' "
             f"best {best:.3f}")
print(f"ok: the teacher beats the best random seed by {trained['auroc'] - best:+.3f} AUROC")
PY
