#!/usr/bin/env bash
# The leakage guard as a data steward meets it: an evaluation manifest that shares a patient with
# the training slides under another slide file, or holds a training slide copied under another
# name and patient id, makes `index --exclude` refuse before indexing and `train` with
# data.wsi.exclude refuse before the run folder exists — each naming the slide, its patient and
# the evaluation manifest and slide it collides with. A disjoint evaluation manifest passes. With
# pseudonyms (index --pseudonymise-key, privacy.pseudonymise) the refusals name slides and patients
# by pseudonym only.
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/check.sh"
config="$root/configs/debug/tiny_wsi.yaml"

"$bin" synth --out "$tmp/train" --slides 4 --width 1024 --height 768 --tumour-slides 0.5 \
  --seed 2 > /dev/null && "$bin" synth --out "$tmp/eval" --slides 2 --width 1024 --height 768 \
  --tumour-slides 0.5 --seed 9 > /dev/null || { echo "FAIL synth"; exit 1; }
# The same patient under another slide file (other content); a training slide copied under
# another name and patient id; and a set that shares neither.
printf 'path,patient\nslide_000.svs,patient_001\n' > "$tmp/eval/same_patient.csv"
cp "$tmp/train/slide_002.svs" "$tmp/eval/renamed.svs"
printf 'path,patient\nrenamed.svs,patient_777\n' > "$tmp/eval/same_slide.csv"
printf 'path,patient\nslide_000.svs,patient_900\nslide_001.tiff,patient_901\n' > "$tmp/eval/clean.csv"

index=(index --slides "$tmp/train/manifest.csv" --target-mpp 0.5 --tile-size 224 --no-qa)
"$bin" "${index[@]}" --out "$tmp/a.pdidx" --exclude "$tmp/eval/same_patient.csv" > "$tmp/a.out" 2>&1
rc=$?
cat "$tmp/a.out"
check "index --exclude refuses a patient shared under another slide file (exit 1), indexing nothing" \
  bash -c "test $rc -eq 1 && test ! -e '$tmp/a.pdidx'"
check "... naming both slides of the patient and the evaluation slide" \
  bash -c "grep -q 'slide_002.svs (patient patient_001) shares its patient with $tmp/eval/same_patient.csv: $tmp/eval/slide_000.svs' '$tmp/a.out' && grep -q 'slide_003.tiff (patient patient_001) shares its patient' '$tmp/a.out' && grep -q '2 slide(s) of the evaluation manifests' '$tmp/a.out'"
"$bin" "${index[@]}" --out "$tmp/b.pdidx" --exclude "$tmp/eval/same_slide.csv" > "$tmp/b.out" 2>&1
rc=$?
cat "$tmp/b.out"
check "... and a training slide copied under another name and patient (exit 1), by content" \
  bash -c "test $rc -eq 1 && grep -q 'slide_002.svs (patient patient_001) is the same slide as $tmp/eval/same_slide.csv: $tmp/eval/renamed.svs' '$tmp/b.out'"
"$bin" keys generate-aes --out "$tmp/pseudonym.key" > /dev/null
"$bin" "${index[@]}" --out "$tmp/p.pdidx" --exclude "$tmp/eval/same_patient.csv" \
  --pseudonymise-key "$tmp/pseudonym.key" > "$tmp/p.out" 2>&1; rc=$?
cat "$tmp/p.out"
check "with pseudonyms the refusal names slides and the patient by pseudonym" \
  bash -c "test $rc -eq 1 && grep -Eq '^  slide-[0-9a-f]{12} \(patient patient-[0-9a-f]{12}\) shares its patient with $tmp/eval/same_patient.csv: slide-[0-9a-f]{12}$' '$tmp/p.out'"
check "... and by nothing else" bash -c "! grep -q -e 'slide_00' -e 'patient_00' '$tmp/p.out'"
"$bin" "${index[@]}" --out "$tmp/c.pdidx" --exclude "$tmp/eval/clean.csv" > /dev/null 2>&1
check "a disjoint evaluation manifest passes" test -s "$tmp/c.pdidx"

"$bin" train -c "$config" --set "data.wsi.index=$tmp/c.pdidx" --set "run.output_dir=$tmp/runs" \
  --set "data.wsi.exclude=[$tmp/eval/clean.csv, $tmp/eval/same_patient.csv]" \
  --set optim.epochs=1 --set optim.iterations_per_epoch=2 > "$tmp/train.out" 2>&1; rc=$?
cat "$tmp/train.out"
check "train refuses an index holding evaluation patients (exit 1) before the run folder exists" \
  bash -c "test $rc -eq 1 && test ! -e '$tmp/runs/tiny_wsi'"
check "... naming data.wsi.exclude, the index and the leaking slides" \
  grep -q "data.wsi.exclude: $tmp/c.pdidx holds 2 slide(s) of the evaluation manifests" "$tmp/train.out"
"$bin" train -c "$config" --set "data.wsi.index=$tmp/c.pdidx" --set "run.output_dir=$tmp/runs" \
  --set "data.wsi.exclude=[$tmp/eval/same_slide.csv]" --set privacy.pseudonymise=true \
  --set "privacy.key_file=$tmp/pseudonym.key" > "$tmp/ptrain.out" 2>&1; rc=$?
check "... by pseudonym with privacy.pseudonymise" bash -c "test $rc -eq 1 &&
  grep -Eq '^  slide-[0-9a-f]{12} \(patient patient-[0-9a-f]{12}\) is the same slide as $tmp/eval/same_slide.csv: slide-[0-9a-f]{12}$' '$tmp/ptrain.out' &&
  ! grep -q -e slide_00 -e renamed.svs -e patient_ '$tmp/ptrain.out'"
"$bin" train -c "$config" --set "data.wsi.index=$tmp/c.pdidx" --set "run.output_dir=$tmp/runs" \
  --set "data.wsi.exclude=[$tmp/eval/clean.csv]" --set optim.epochs=1 \
  --set optim.iterations_per_epoch=2 --no-report > "$tmp/ok.out" 2>&1; rc=$?
check "... and trains with a disjoint one" bash -c "test $rc -eq 0 || { tail -5 '$tmp/ok.out'; false; }"
finish
