#!/usr/bin/env bash
# The pathodino executable as a user meets it: subcommands, exit codes, messages.
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/check.sh"

# doctor: real facts, exit 0 on a healthy build.
"$bin" doctor > "$tmp/doctor" 2>&1; rc=$?
check "doctor exits 0" test $rc -eq 0
check "doctor reports 0 GPUs here" grep -Eq '^visible GPUs +0$' "$tmp/doctor"
check "doctor reports the MPI library" grep -q '^MPI library .*Open MPI' "$tmp/doctor"
check "doctor reports OpenSlide" grep -Eq '^OpenSlide +3\.' "$tmp/doctor"
check "doctor reports LibTorch" grep -Eq '^LibTorch +[0-9]+\.[0-9]+' "$tmp/doctor"
check "doctor reports NCCL" grep -Eq '^NCCL compiled against +([0-9.]+|not built)$' "$tmp/doctor"
check "doctor: LibTorch's BLAS serves sgemm_, not the system BLAS that Faiss links" \
  grep -Eq '^BLAS \(sgemm_\) +.*/libtorch_cpu\.so$' "$tmp/doctor"
check "doctor: tcmalloc serves malloc, freed pages kept" grep -Eq '^allocator +gperftools [0-9.]+, release rate 0\.0 \(freed' "$tmp/doctor"

# config show prints YAML that config check accepts, with --set applied.
"$bin" config show -c "$root/configs/debug/tiny_cpu.yaml" --set optim.epochs=3 > "$tmp/resolved.yaml"
check "config show exits 0" test $? -eq 0
check "config show applies --set" grep -q '^  epochs: 3$' "$tmp/resolved.yaml"
check "config show names the run after the file" grep -q '^  name: tiny_cpu$' "$tmp/resolved.yaml"
check "shown config validates" "$bin" config check -c "$tmp/resolved.yaml"
for shipped in "$root"/configs/*/*.yaml; do
  case "$shipped" in */sweeps/*) continue ;; esac  # sweep files are checked by `sweep plan`
  check "shipped config $(basename "$(dirname "$shipped")")/$(basename "$shipped") validates" \
    "$bin" config check -c "$shipped"
done

# config check refuses a bad config with exit 2 and every problem on stderr.
printf 'optim:\n  bse_lr: 1\n  epochs: -1\n' > "$tmp/bad.yaml"
"$bin" config check -c "$tmp/bad.yaml" 2> "$tmp/err"; rc=$?
check "bad config exits 2" test $rc -eq 2
check "bad config names the unknown key" grep -q "bad.yaml:2: optim.bse_lr: unknown key (did you mean 'optim.base_lr'?)" "$tmp/err"
check "bad config names the range error" grep -q "bad.yaml:3: optim.epochs: out of range" "$tmp/err"
check "bad config counts its problems" grep -q "invalid config: 2 problems" "$tmp/err"

# synth writes Aperio and generic pyramidal TIFFs and a manifest (OpenSlide reading them back is
# tests/data/synthetic/test_synthetic_slide.cpp).
"$bin" synth --out "$tmp/slides" --slides 3 --width 1024 --height 768 --seed 4 \
  --labelled-tiles 2 --tile-size 64 > "$tmp/synth.out"; rc=$?
check "synth exits 0" test $rc -eq 0
check "synth alternates Aperio and generic TIFF" test -s "$tmp/slides/slide_000.svs" -a -s "$tmp/slides/slide_001.tiff" -a -s "$tmp/slides/slide_002.svs"
check "synth manifest lists every slide" test "$(tail -n +2 "$tmp/slides/manifest.csv" | wc -l)" -eq 3
check "synth manifest columns" grep -qx "slide_001.tiff,site_a,generic" "$tmp/slides/manifest.csv"
check "synth manifest: every third slide at site b" grep -qx "slide_002.svs,site_b,aperio" "$tmp/slides/manifest.csv"
check "synth labelled tiles: 2 per class and split" test "$(find "$tmp/slides/labelled/train" "$tmp/slides/labelled/val" -name '*.png' | wc -l)" -eq 16
check "synth labelled tiles: one folder per class" test -d "$tmp/slides/labelled/val/adipose" -a -d "$tmp/slides/labelled/train/lymphocytes"
"$bin" synth --out "$tmp/slides" --slides 0 > /dev/null 2>&1
check "synth refuses 0 slides" test $? -ne 0

# Slide labels for slide-level tasks: half the slides may draw tumour regions, the others none;
# the label says what was drawn (regions.csv is the ground truth), two slides per patient.
"$bin" synth --out "$tmp/labelled_slides" --slides 8 --width 1024 --height 768 --seed 2 \
  --class-proportions 30,30,30,10 --tumour-slides 0.5 > /dev/null; rc=$?
check "synth --tumour-slides exits 0" test $rc -eq 0
check "... the manifest gains label and patient" \
  grep -qx "slide_001.tiff,site_a,generic,[a-z]*,patient_000" "$tmp/labelled_slides/manifest.csv"
check "... a slide is labelled tumour exactly when a tumour region of it was drawn, only on the eligible half" bash -c "
  tumour=\$(awk -F, '\$5 == \"tumour\" { print \$1 }' '$tmp/labelled_slides/regions.csv' | sort -u)
  labelled=\$(awk -F, '\$4 == \"tumour\" { print \$1 }' '$tmp/labelled_slides/manifest.csv' | sort)
  test -n \"\$tumour\" && test \"\$tumour\" = \"\$labelled\" &&
    ! echo \"\$labelled\" | grep -q 'slide_00[0246]' &&
    test \$(grep -c ',normal,' '$tmp/labelled_slides/manifest.csv') -ge 4"
"$bin" synth --out "$tmp/no_tumour" --classes 2 --tumour-slides 0.5 > /dev/null 2> "$tmp/err"
check "synth --tumour-slides without a tumour class is refused, saying why" \
  grep -q "no tumour class" "$tmp/err"

# index: the synthetic slides plus a file that is not a slide → an index of the good ones, a
# summary naming the bad one.
printf 'not a slide' > "$tmp/slides/broken.svs"
"$bin" index --slides "$tmp/slides" --out "$tmp/tiles.pdidx" --tile-size 256 --threads 2 > "$tmp/index.out"; rc=$?
cat "$tmp/index.out"
check "index exits 0" test $rc -eq 0
check "index writes the index" test -s "$tmp/tiles.pdidx"
check "index counts slides" grep -q "^4 slide(s): 3 indexed, 1 skipped; [1-9][0-9]* tiles" "$tmp/index.out"
check "index names the bad slide and why" grep -q "broken.svs,skipped,0,.*not a slide format OpenSlide knows" "$tmp/tiles.pdidx.summary.csv"
check "index writes a QA picture per indexed slide" test "$(ls "$tmp/tiles.pdidx.qa" | wc -l)" -eq 3
"$bin" index --slides "$tmp/slides/manifest.csv" --out "$tmp/m.pdidx" --tile-size 256 --no-qa > "$tmp/m.out"; rc=$?
check "index from the manifest: tiles per site on stdout" grep -Eq "^tiles per site: site_a [0-9]+ site_b [0-9]+" "$tmp/m.out"
check "index summary carries the group columns" grep -q "^path,status,tiles,mpp,mpp_source,tissue_share,qa_picture,reason,group.scanner,group.site$" "$tmp/m.pdidx.summary.csv"
check "--no-qa writes no pictures" test ! -e "$tmp/m.pdidx.qa"
"$bin" index --slides "$tmp/nowhere" --out "$tmp/none.pdidx" > /dev/null 2> "$tmp/index.err"; rc=$?
check "index of nothing exits 1 naming the input" bash -c "test $rc -eq 1 && grep -q 'nowhere: no such folder, manifest or matching files' '$tmp/index.err'"

# Subcommands that do not work yet do not exist.
for missing in sweep; do
  "$bin" "$missing" > /dev/null 2>&1
  check "'$missing' is not offered before it works" test $? -ne 0
done

finish
