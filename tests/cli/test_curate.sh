#!/usr/bin/env bash
# `pathodino curate` as a user runs it: synth → index → embed → curate on an archive where one
# slide was scanned twice: the rescan's tiles, and only they, are dropped as near-duplicates
# (counted for its slide and site; exact copies embed alike, so the threshold sits near 1 — a
# random backbone's CLS features are too alike for a lower one to mean much); the curated index
# carries cluster columns that a training run balances over (data.wsi.balance_by: cluster_l1);
# the CSVs add up; one mosaic per cluster; index.html shows them all in a real headless browser
# (and says so when one is missing); encrypted embeddings curate with their key, pseudonymised ones
# name no slide; a folder mixing two backbones is refused by file name, and a bad curate section
# before any work.
set -uo pipefail
bin=$1
root=$2
browser=$3
source "$(dirname "$0")/check.sh"
config="$root/configs/debug/tiny_wsi.yaml"
levels=(--set "curate.levels=[12, 3]" --set curate.mosaic_nearest=8 --set curate.mosaic_random=8
        --set curate.duplicate_cosine=0.99999)

"$bin" synth --out "$tmp/slides" --slides 4 --width 1024 --height 768 --seed 31 > /dev/null ||
  { echo "FAIL synth"; exit 1; }
cp "$tmp/slides/slide_001.tiff" "$tmp/slides/rescan_of_001.tiff"
echo "rescan_of_001.tiff,site_b,generic" >> "$tmp/slides/manifest.csv"
"$bin" index --slides "$tmp/slides/manifest.csv" --out "$tmp/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 64 --no-qa > "$tmp/index.out" || { echo "FAIL index"; exit 1; }
tiles=$(grep -Eo '[0-9]+ tiles ->' "$tmp/index.out" | grep -Eo '[0-9]+')
for seed in 3 4; do
  "$bin" export --init vit_tiny_patch16 --seed $seed --img-size 64 --layerscale-init 0 \
    --out "$tmp/backbone$seed.safetensors" > /dev/null || { echo "FAIL export"; exit 1; }
done
"$bin" embed -c "$root/configs/debug/tiny_cpu.yaml" --index "$tmp/tiles.pdidx" \
  --backbone "$tmp/backbone3.safetensors" --out "$tmp/features" > /dev/null ||
  { echo "FAIL embed"; exit 1; }

"$bin" curate -c "$config" "${levels[@]}" --index "$tmp/tiles.pdidx" --embeddings "$tmp/features" \
  --out "$tmp/curated" > "$tmp/curate.out" 2>&1; rc=$?
grep -v '^WARNING clustering' "$tmp/curate.out"
check "curate exits 0" test $rc -eq 0
check "the summary counts every tile and names the backbone" \
  grep -Eq "^\[curate\] $tiles of $tiles indexed tiles embedded by backbone3.safetensors \(sha256 [0-9a-f]{12}\), [0-9]+ near-duplicate\(s\) dropped, [0-9]+ kept" "$tmp/curate.out"
rescan=$(grep -E '^ok +[0-9]+ tiles .*rescan_of_001.tiff' "$tmp/index.out" | grep -Eo '[0-9]+' | head -1)
check "exactly the rescan's tiles are dropped, counted for its slide" \
  grep -qx "rescan_of_001,site_b,$rescan,$rescan" "$tmp/curated/near_duplicates_by_slide.csv"
check "... and no tile of another slide" test "$(awk -F, 'NR > 1 { s += $4 } END { print s }' "$tmp/curated/near_duplicates_by_slide.csv")" -eq "$rescan"
check "near-duplicates are counted per site" grep -Eq "^\[curate\] site site_b: [0-9]+ tiles, $rescan near-duplicate" "$tmp/curate.out"
kept=$(grep -Eo '[0-9]+ kept' "$tmp/curate.out" | grep -Eo '[0-9]+')
check "cluster sizes by slide sum to the kept tiles at each level" test "$(awk -F, '$1 == "cluster_l1" { s += $4 } END { print s }' "$tmp/curated/clusters_by_slide.csv")" -eq "$kept" -a \
  "$(awk -F, '$1 == "cluster_l2" { s += $4 } END { print s }' "$tmp/curated/clusters_by_site.csv")" -eq "$kept"
check "near-duplicate counts by site add up to the embedded tiles" test "$(awk -F, 'NR > 1 { s += $2 } END { print s }' "$tmp/curated/near_duplicates_by_site.csv")" -eq "$tiles"
mosaics=$(ls "$tmp/curated/mosaics" | wc -l)
check "one mosaic PNG per non-empty cluster of both levels (12 + 3 at most)" test "$mosaics" -ge 4 -a "$mosaics" -le 15
check "mosaics are PNG files" sh -c "file '$tmp'/curated/mosaics/*.png 2>/dev/null | grep -vq 'PNG image' && exit 1 || head -c 4 '$tmp/curated/mosaics/cluster_l2_0000.png' | grep -q PNG"

# Training on the curated index, balanced over the finest clusters.
"$bin" train -c "$config" --set "data.wsi.index=$tmp/curated/curated.pdidx" \
  --set data.wsi.balance_by=cluster_l1 --set "run.output_dir=$tmp/runs" --set optim.epochs=1 \
  --set optim.iterations_per_epoch=2 --set optim.warmup_epochs=0 --set data.batch_size_per_rank=4 \
  --set eval.knn_every_steps=0 --set eval.linear_probe=false > "$tmp/train.out" 2>&1; rc=$?
check "training on the curated index exits 0" test $rc -eq 0 || tail -20 "$tmp/train.out"
check "start-up shows the draws balanced over the clusters" \
  grep -Eq "sampling: balanced over cluster_l1 \(weight = tiles\^[0-9.]+\), [0-9]+ groups, draws per epoch: #0 [0-9]+ \(of [0-9]+ tiles\)" "$tmp/train.out"

if [ -x "$browser" ]; then
  page() { "$browser" --headless --no-sandbox --disable-gpu --allow-file-access-from-files \
             --virtual-time-budget=5000 --dump-dom "file://$tmp/curated/index.html" 2>/dev/null; }
  page > "$tmp/dom.html"
  check "the headless browser shows every mosaic of index.html" \
    grep -Eq "<p id=\"status\">$mosaics of $mosaics mosaics shown</p>" "$tmp/dom.html"
  check "... with each cluster's size by site" grep -Eq '<b>cluster_l2 [0-9]+</b>: [0-9]+ tiles \(site_a [0-9]+' "$tmp/dom.html"
  rm "$tmp/curated/mosaics/cluster_l2_0000.png"
  page > "$tmp/dom_missing.html"
  check "... and says so when a mosaic is missing" \
    grep -Eq "<p id=\"status\" class=\"missing\">$((mosaics - 1)) of $mosaics mosaics shown</p>" "$tmp/dom_missing.html"
else
  check "a headless browser to check index.html in (launch/setup.sh installs chromium)" false
fi

# Encrypted embeddings (Note [Encrypted feature files]) curate as the plain ones with their key.
"$bin" keys generate-aes --out "$tmp/data.key" > /dev/null
"$bin" embed -c "$root/configs/debug/tiny_cpu.yaml" --index "$tmp/tiles.pdidx" \
  --backbone "$tmp/backbone3.safetensors" --out "$tmp/sealed" --encryption-key "$tmp/data.key" \
  > /dev/null || { echo "FAIL embed"; exit 1; }
"$bin" curate -c "$config" "${levels[@]}" --index "$tmp/tiles.pdidx" --embeddings "$tmp/sealed" \
  --out "$tmp/curated_sealed" --encryption-key "$tmp/data.key" > "$tmp/sealed.out" 2>&1; rc=$?
check "encrypted embeddings curate with their key to the plain run's counts" bash -c "test $rc -eq 0 &&
  diff <(grep -E 'indexed tiles embedded|near-duplicate\\(s\\) dropped\$' '$tmp/sealed.out') <(grep -E 'indexed tiles embedded|near-duplicate\\(s\\) dropped\$' '$tmp/curate.out')"
"$bin" curate -c "$config" "${levels[@]}" --index "$tmp/tiles.pdidx" --embeddings "$tmp/sealed" \
  --out "$tmp/curated_nokey" > "$tmp/nokey.out" 2>&1; rc=$?
check "... and without it are refused, naming the file, before writing anything" bash -c "test $rc -eq 1 &&
  grep -q 'sealed/slide_000.h5: an encrypted feature file' '$tmp/nokey.out' && test ! -e '$tmp/curated_nokey/curated.pdidx'"

# Pseudonyms (Note [Pseudonyms]): embedded and curated under privacy.pseudonymise, files and
# reports name slides by pseudonym, the rescan (the same content, the same pseudonym) with "-2".
private=(--set privacy.pseudonymise=true --set "privacy.key_file=$tmp/data.key")
"$bin" embed -c "$root/configs/debug/tiny_cpu.yaml" "${private[@]}" --index "$tmp/tiles.pdidx" \
  --backbone "$tmp/backbone3.safetensors" --out "$tmp/fp" > "$tmp/fp.out" 2>&1 ||
  { echo "FAIL embed"; cat "$tmp/fp.out"; exit 1; }
"$bin" curate -c "$config" "${levels[@]}" "${private[@]}" --index "$tmp/tiles.pdidx" \
  --embeddings "$tmp/fp" --out "$tmp/cp" > "$tmp/cp.out" 2>&1; rc=$?
check "pseudonymised embeddings curate: the rescan's tiles dropped, counted under its pseudonym" \
  bash -c "test $rc -eq 0 && grep -Eqx 'slide-[0-9a-f]{12}-2,site_b,$rescan,$rescan' '$tmp/cp/near_duplicates_by_slide.csv'"
# The curated index keeps the paths, as every tile index does: it is the data a run reads.
check "... and no slide file name in their files, lines or reports (but the curated index)" bash -c "
  ! grep -rq --exclude=curated.pdidx -e slide_0 -e rescan_of '$tmp/fp' '$tmp/fp.out' '$tmp/cp' '$tmp/cp.out' &&
  ! find '$tmp/fp' '$tmp/cp' | grep -q -e slide_0 -e rescan_of"

# A folder where one slide's file came from another backbone: refused, naming the file.
"$bin" embed -c "$root/configs/debug/tiny_cpu.yaml" --index "$tmp/tiles.pdidx" \
  --backbone "$tmp/backbone4.safetensors" --out "$tmp/other" > /dev/null 2>&1
cp "$tmp/other/slide_002.h5" "$tmp/features/slide_002.h5"  # slide_000.h5 is read first
"$bin" curate -c "$config" "${levels[@]}" --index "$tmp/tiles.pdidx" --embeddings "$tmp/features" \
  --out "$tmp/mixed" > "$tmp/mixed.out" 2>&1; rc=$?
check "a folder of two backbones is refused (exit 1)" test $rc -eq 1
check "... naming the file and both backbones" \
  grep -Eq "^curate: $tmp/features/slide_002.h5: made with backbone backbone4.safetensors .* with backbone3.safetensors .*one folder, one backbone" "$tmp/mixed.out"
check "... before writing anything" test ! -e "$tmp/mixed/curated.pdidx"

"$bin" curate -c "$config" --set "curate.levels=[4, 8]" --index "$tmp/tiles.pdidx" \
  --embeddings "$tmp/features" --out "$tmp/bad" > "$tmp/bad.out" 2>&1; rc=$?
check "levels that grow are refused before any work (exit 2)" test $rc -eq 2 -a ! -e "$tmp/bad"
check "... naming the key" grep -q "curate.levels: level 2 asks for 8 clusters of the 4 centroids" "$tmp/bad.out"
finish
