#!/usr/bin/env bash
# `pathodino eval slides` as a user runs it: synthetic slides with slide labels (half may draw a
# tumour region) and two slides per patient → index → embed with two random backbones (one as the
# baseline) → ABMIL cross-validated by patient. Checked: both sets scored in one JSON object; every
# slide with tiles predicted once, out of fold, its patient's slides in one fold; the attention
# CSVs sum to one and each slide has a heat map of its thumbnail's size; a label column with one
# class, a missing label column and embeddings of another backbone than the one named are refused
# by name; encrypted embeddings score as the plain ones with their key and are refused without;
# pseudonymised ones score the same and name no slide or patient.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
config="$root/configs/debug/tiny_cpu.yaml"

"$bin" synth --out "$tmp/s" --slides 16 --width 1024 --height 768 --seed 7 \
  --class-proportions 30,30,30,10 --tumour-slides 0.5 > /dev/null || { echo "FAIL synth"; exit 1; }
"$bin" index --slides "$tmp/s/manifest.csv" --out "$tmp/t.pdidx" --target-mpp 0.5 \
  --tile-size 64 --no-qa > /dev/null || { echo "FAIL index"; exit 1; }
for seed in 3 4; do
  "$bin" export --init vit_tiny_patch16 --seed $seed --img-size 64 --layerscale-init 0 \
    --out "$tmp/b$seed.safetensors" > /dev/null || { echo "FAIL export"; exit 1; }
  "$bin" embed -c "$config" --index "$tmp/t.pdidx" --backbone "$tmp/b$seed.safetensors" \
    --out "$tmp/f$seed" > /dev/null || { echo "FAIL embed"; exit 1; }
done
slides=(eval slides --slides "$tmp/s/manifest.csv" --folds 2 --epochs 10)

"$bin" "${slides[@]}" --embeddings "$tmp/f3" --baseline-embeddings "$tmp/f4" \
  --backbone "$tmp/b3.safetensors" --out "$tmp/out" --json > "$tmp/slides.json"; rc=$?
cat "$tmp/slides.json"
check "eval slides exits 0" test $rc -eq 0
check "... the features and the baseline scored, folds by patient, predictions and heat maps" \
  "$python" - "$tmp" <<'PY'
import csv, json, pathlib, sys
import numpy as np
from PIL import Image
tmp = pathlib.Path(sys.argv[1])
r = json.load(open(tmp / "slides.json"))
for s in (r, r["random_baseline"]):
    assert 0 <= s["auroc"] <= 1 and 0 <= s["balanced"] <= 1 and len(s["folds"]) == 2, s
assert r["backbone"] == "b3.safetensors" and r["random_baseline"]["backbone"] == "b4.safetensors"
manifest = {pathlib.Path(m["path"]).stem: m for m in csv.DictReader(open(tmp / "s/manifest.csv"))}
rows = list(csv.DictReader(open(tmp / "out/slides.csv")))
assert len(rows) == r["slides"] == 16 - r["skipped"]["without_tiles"], (len(rows), r)
fold_of = {}
for row in rows:
    m = manifest[row["slide"]]
    assert row["label"] == m["label"] and row["patient"] == m["patient"], row
    assert fold_of.setdefault(row["patient"], row["fold"]) == row["fold"], "a patient split"
    assert abs(float(row["p_normal"]) + float(row["p_tumour"]) - 1) < 1e-5, row
    attention = np.loadtxt(tmp / "out/attention" / (row["slide"] + ".csv"), delimiter=",",
                           skiprows=1, ndmin=2)
    assert abs(attention[:, 2].sum() - 1) < 1e-4, row["slide"]
    png = Image.open(tmp / "out/attention" / (row["slide"] + ".png"))
    assert png.size == (1024, 768), png.size  # the smallest level of a one-level slide
print(f"{len(rows)} slides, {len(fold_of)} patients; AUROC {r['auroc']:.3f} vs random "
      f"{r['random_baseline']['auroc']:.3f}")
PY

"$bin" "${slides[@]}" --embeddings "$tmp/f3" > "$tmp/alone.out" 2>&1; rc=$?
check "without --baseline-embeddings the scores come with how to get random features' next to them" \
  bash -c "test $rc -eq 0 && grep -q '^no random-feature baseline: embed the same slides with random weights' '$tmp/alone.out'"

# The same slides embedded encrypted (Note [Encrypted feature files]) score the same.
"$bin" keys generate-aes --out "$tmp/data.key" > /dev/null
"$bin" embed -c "$config" --index "$tmp/t.pdidx" --backbone "$tmp/b3.safetensors" \
  --out "$tmp/sealed" --encryption-key "$tmp/data.key" > /dev/null || { echo "FAIL embed"; exit 1; }
"$bin" "${slides[@]}" --embeddings "$tmp/sealed" --encryption-key "$tmp/data.key" \
  > "$tmp/sealed.out" 2>&1; rc=$?
check "encrypted embeddings read with their key give the plain files' scores" \
  bash -c "test $rc -eq 0 && diff <(sed 's|$tmp/sealed|DIR|' '$tmp/sealed.out') <(sed 's|$tmp/f3|DIR|' '$tmp/alone.out')"
"$bin" "${slides[@]}" --embeddings "$tmp/sealed" > "$tmp/nokey.out" 2>&1; rc=$?
check "... and without the key are refused, naming a file" \
  bash -c "test $rc -ne 0 && grep -q 'sealed/slide_[0-9]*.h5: an encrypted feature file' '$tmp/nokey.out'"

# Pseudonyms (Note [Pseudonyms]): embedded under privacy.pseudonymise, the files, the embed lines
# and the slide table name slides and patients by pseudonym only.
private=(--set privacy.pseudonymise=true --set "privacy.key_file=$tmp/data.key")
"$bin" embed -c "$config" "${private[@]}" --index "$tmp/t.pdidx" --backbone "$tmp/b3.safetensors" \
  --out "$tmp/fp" > "$tmp/fp.out" 2>&1 || { echo "FAIL embed"; cat "$tmp/fp.out"; exit 1; }
"$bin" "${slides[@]}" --embeddings "$tmp/fp" --pseudonymise-key "$tmp/data.key" \
  --out "$tmp/pout" > "$tmp/private.out" 2>&1; rc=$?
# Folds are drawn over the patients' names, so the scores move with them: the slides must not.
check "pseudonymised embeddings are scored over the same slides and patients" \
  bash -c "test $rc -eq 0 && diff <(grep '^ABMIL' '$tmp/private.out') <(grep '^ABMIL' '$tmp/alone.out') &&
    grep -Eq '^  features \(b3.safetensors\): AUROC [0-9.]+ ± [0-9.]+' '$tmp/private.out'"
check "... their files, lines and slide table name slides and patients by pseudonym" bash -c "
  test \$(ls '$tmp/fp' | grep -c '^slide-[0-9a-f]\{12\}\.h5$') -eq 16 &&
  grep -Eq '^\[embed\] rank 0 slide 1/16 slide-[0-9a-f]{12}: ' '$tmp/fp.out' &&
  grep -Eq '^slide-[0-9a-f]{12},patient-[0-9a-f]{12},(normal|tumour),' '$tmp/pout/slides.csv'"
check "... and by nothing else" bash -c "! grep -rq -e slide_0 -e patient_0 '$tmp/fp' '$tmp/fp.out' '$tmp/pout' '$tmp/private.out' && ! find '$tmp/fp' '$tmp/pout' | grep -q -e slide_0 -e patient_0"

sed 's/,tumour,/,normal,/' "$tmp/s/manifest.csv" > "$tmp/s/one_class.csv"
"$bin" eval slides --slides "$tmp/s/one_class.csv" --embeddings "$tmp/f3" > "$tmp/one.out" 2>&1
rc=$?
cat "$tmp/one.out"
check "a label column with one class is refused (exit 1), naming it" \
  bash -c "test $rc -eq 1 && grep -q \"one_class.csv: column 'label' has 1 class(es)\" '$tmp/one.out'"
"$bin" "${slides[@]}" --embeddings "$tmp/f3" --label-column diagnosis > "$tmp/col.out" 2>&1
rc=$?
check "a missing label column is refused, naming it and the file" \
  bash -c "test $rc -eq 1 && grep -q \"manifest.csv: no column 'diagnosis'\" '$tmp/col.out'"
"$bin" "${slides[@]}" --embeddings "$tmp/f4" --backbone "$tmp/b3.safetensors" > "$tmp/bb.out" 2>&1
rc=$?
cat "$tmp/bb.out"
check "embeddings of another backbone than the one named are refused, naming the file" \
  bash -c "test $rc -eq 1 && grep -q \"f4/slide_0[0-9]*.h5: embedded with backbone b4.safetensors\" '$tmp/bb.out'"
finish
