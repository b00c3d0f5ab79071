#!/usr/bin/env bash
# Pseudonyms (Note [Pseudonyms]) as a data steward checks them: slides whose file names and
# patient ids identify people are indexed with --pseudonymise-key and trained on over 2 ranks
# with privacy.pseudonymise (a slide damaged after indexing is quarantined mid-run, a listed slide
# is missing, the run writes its report); then no slide file name, stem or patient id appears in
# anything the index command or the run printed, in the QA picture names, the index summary, or
# any file under the run folder — only keyed pseudonyms do. The tile index keeps the paths (it is
# the data the run reads). No code reads a slide's label or macro image.
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/check.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

"$bin" synth --out "$tmp/raw" --slides 3 --width 1536 --height 1024 --seed 13 --labelled-tiles 16 \
  --tile-size 224 > /dev/null || { echo "FAIL synth"; exit 1; }
# Identifying names: the patient's name in the file name, a patient id column.
mkdir -p "$tmp/archive"
names=(DOE_JANE_1961 ROE_RICHARD_1957 POE_EDGAR_1949)
patients=(MRN-448812 MRN-551907 MRN-660233)
echo "path,site,patient" > "$tmp/archive/manifest.csv"
i=0
for f in "$tmp"/raw/slide_00*; do
  ext=${f##*.}
  mv "$f" "$tmp/archive/${names[$i]}.$ext"
  echo "$tmp/archive/${names[$i]}.$ext,site_$((i % 2)),${patients[$i]}" >> "$tmp/archive/manifest.csv"
  i=$((i + 1))
done
echo "$tmp/archive/MISSING_MARY_1970.svs,site_0,MRN-770001" >> "$tmp/archive/manifest.csv"
names+=(MISSING_MARY_1970) patients+=(MRN-770001)
"$bin" keys generate-aes --out "$tmp/pseudonym.key" > /dev/null

"$bin" index --slides "$tmp/archive/manifest.csv" --out "$tmp/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 224 --pseudonymise-key "$tmp/pseudonym.key" > "$tmp/index.out" 2>&1
cat "$tmp/index.out"
check "the index lists slides by pseudonym, the missing one skipped" \
  bash -c "test \$(grep -c '^ok .*slide-[0-9a-f]\{12\}' '$tmp/index.out') -eq 3 && grep -q '^skipped .*slide-[0-9a-f]\{12\}' '$tmp/index.out'"
check "tiles per patient by pseudonym" grep -q "^tiles per patient: patient-[0-9a-f]\{12\}" "$tmp/index.out"

# Damage one indexed slide: its reads fail during the run and it is quarantined.
damaged=$(sed -n 3p "$tmp/archive/manifest.csv" | cut -d, -f1)
truncate -s 4096 "$damaged"
sets=(--set "data.wsi.index=$tmp/tiles.pdidx" --set "run.output_dir=$tmp/runs" --set run.name=private
      --set optim.epochs=1 --set optim.iterations_per_epoch=8 --set optim.warmup_epochs=0
      --set ssl.teacher.warmup_temp_epochs=0 --set data.batch_size_per_rank=4
      --set checkpoint.every_steps=4 --set eval.knn_every_steps=4
      --set "eval.knn_dataset=$tmp/raw/labelled" --set eval.report_seeds=1
      --set privacy.pseudonymise=true --set "privacy.key_file=$tmp/pseudonym.key")
"$root/launch/mpirun.sh" -n 2 train -c "$root/configs/debug/tiny_wsi.yaml" "${sets[@]}" \
  > "$tmp/train.out" 2>&1; rc=$?
grep -E "warning|^done" "$tmp/train.out"
check "the run finishes over 2 ranks with its report" \
  bash -c "test $rc -eq 0 && test -f '$tmp/runs/private/report/report.md'"
check "the damaged slide is quarantined, named by pseudonym" \
  grep -q "warning: rank [01]: slide-[0-9a-f]\{12\}: quarantined" "$tmp/train.out"

found=0
for word in "${names[@]}" "${patients[@]}"; do
  for where in "$tmp/index.out" "$tmp/train.out" "$tmp/tiles.pdidx.summary.csv"; do
    grep -qF "$word" "$where" && { echo "  $word in $where"; found=$((found + 1)); }
  done
  hits=$(grep -rlF "$word" "$tmp/runs" "$tmp/tiles.pdidx.qa" 2>/dev/null)
  [ -n "$hits" ] && { echo "  $word in: $hits"; found=$((found + 1)); }
  hits=$(find "$tmp/runs" "$tmp/tiles.pdidx.qa" -name "*$word*")
  [ -n "$hits" ] && { echo "  $word names: $hits"; found=$((found + 1)); }
done
check "no slide name or patient id in any line, summary, QA picture name or run file" test $found -eq 0
# The control: without the key the same search finds them, so it would have.
"$bin" index --slides "$tmp/archive/manifest.csv" --out "$tmp/plain.pdidx" --target-mpp 0.5 \
  --tile-size 224 > "$tmp/plain.out" 2>&1
check "without pseudonyms the same search finds the names and ids (control)" \
  bash -c "grep -qF '${names[0]}' '$tmp/plain.out' && grep -qF '${patients[0]}' '$tmp/plain.pdidx.summary.csv' && ls '$tmp/plain.pdidx.qa' | grep -qF '${names[0]}'"
check "the tile index keeps the paths (the data the run reads)" \
  grep -qF "${names[0]}" "$tmp/tiles.pdidx"
# Label and macro images (the slide's photographed label: names, barcodes) are never read: no
# code calls OpenSlide's associated-image API.
check "no code reads associated (label, macro) images" \
  bash -c "! grep -rn 'associated_image' '$root/data' '$root/trainer' '$root/models'"
"$bin" config check -c "$root/configs/debug/tiny_wsi.yaml" "${sets[@]}" \
  --set privacy.key_file= > "$tmp/nokey.out" 2>&1; rc=$?
check "pseudonymise without a key file is refused" \
  bash -c "test $rc -eq 2 && grep -q 'privacy.key_file' '$tmp/nokey.out'"
finish
