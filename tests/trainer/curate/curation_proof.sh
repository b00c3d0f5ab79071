#!/usr/bin/env bash
# The curation proof on synthetic slides with known tissue classes in archive-like proportions
# (70/20/5/5 of the tissue regions): the slides are embedded with a trained teacher and with
# random features of the same architecture (no LayerScale, as the kNN yardstick), each embedding
# curated (levels 16 then 4, no de-duplication), and measured by sampled_classes: NMI of the
# clusters against the classes (and of the same clusters shuffled: chance), and the class shares
# among one epoch of draws, uniform over tiles and balanced over cluster_l1 as training draws
# them (data.wsi.balance_by: cluster_l1, alpha 0). It asserts what the curation promises: trained
# clusters agree with the classes at least 5x better than chance, and balanced draws are closer to
# equal class shares than uniform draws. Trained against random features is printed, not
# asserted (benchmarks/RESULTS.md: on these slides the two cluster alike).
#   curation_proof.sh BIN_DIR ROOT TEACHER CONFIG [STAIN_VARIATION=1]
set -euo pipefail
bin_dir=$1
root=$2
teacher=$3
config=$4
stain=${5:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin="$bin_dir/pathodino"

"$bin" synth --out "$tmp/slides" --slides 8 --width 4096 --height 4096 --seed 101 \
  --class-proportions 70,20,5,5 --stain-variation "$stain" > /dev/null
"$bin" index --slides "$tmp/slides/manifest.csv" --out "$tmp/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 224 --no-qa | grep -E ' tiles -> '
"$bin" export --init vit_tiny_patch16 --seed 0 --img-size 64 --layerscale-init 0 \
  --out "$tmp/random.safetensors" > /dev/null
for kind in trained random; do
  backbone=$teacher
  [ $kind = trained ] || backbone="$tmp/random.safetensors"
  "$bin" embed -c "$config" --index "$tmp/tiles.pdidx" --backbone "$backbone" \
    --out "$tmp/features_$kind" | tail -1
  "$bin" curate -c "$config" --set "curate.levels=[16, 4]" --set curate.duplicate_cosine=1 \
    --set curate.mosaic_nearest=0 --set curate.mosaic_random=0 --index "$tmp/tiles.pdidx" \
    --embeddings "$tmp/features_$kind" --out "$tmp/curated_$kind" 2>/dev/null | tail -1
  "$bin_dir/sampled_classes" "$tmp/curated_$kind/curated.pdidx" "$tmp/slides/regions.csv" \
    > "$tmp/$kind.json"
done
python3 - "$tmp/trained.json" "$tmp/random.json" "$stain" <<'PY'
import json, sys
trained, random = (json.load(open(f)) for f in sys.argv[1:3])
print(f"synthetic slides, stain variation {sys.argv[3]}; tiles per class: {trained['tiles']}")
for name, d in (("trained", trained), ("random features", random)):
    nmi = ", ".join(f"{c} {v:.3f} (shuffled {d['nmi_shuffled'][c]:.3f})" for c, v in d["nmi"].items())
    print(f"{name:>15}: NMI vs classes {nmi}")
    for how in ("uniform", "balanced"):
        shares = " ".join(f"{c} {100 * s:.1f}%" for c, s in d[how]["shares"].items())
        print(f"{'':>15}  {how:>8} draws: {shares}; distance from equal shares {d[how]['tv_from_equal']:.3f}")
ok = True
if trained["nmi"]["cluster_l1"] < 5 * max(trained["nmi_shuffled"]["cluster_l1"], 0.005):
    print("FAIL trained clusters agree with the classes less than 5x chance"); ok = False
if trained["balanced"]["tv_from_equal"] >= trained["uniform"]["tv_from_equal"] - 0.01:
    print("FAIL draws balanced over cluster_l1 are not closer to equal class shares"); ok = False
print("curation proof:", "passed" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
