#!/usr/bin/env bash
# Training on whole-slide tiles as a user runs it: synth → index (1 process, and 2 MPI ranks) →
# `pathodino train` over 2 MPI
# ranks on the index with group-balanced sampling, while one slide has been corrupted since it was
# indexed (the run must go on, skip and count) → `pathodino eval knn` on the labelled tile set.
# kNN on a labelled tile index: slides labelled and split in the manifest (columns label, split).
# And the refusals: a missing index, an unknown group column, kNN without a labelled set, a label
# column no slide has.
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/check.sh"
export PATHODINO_BIN=$bin
config="$root/configs/debug/tiny_wsi.yaml"

"$bin" synth --out "$tmp/slides" --slides 3 --width 1536 --height 1024 --seed 11 \
  --labelled-tiles 4 --tile-size 224 > /dev/null || { echo "FAIL synth"; exit 1; }
"$bin" index --slides "$tmp/slides/manifest.csv" --out "$tmp/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 224 > /dev/null || { echo "FAIL index"; exit 1; }
# The same index from 2 MPI ranks (every 2nd slide each, gathered on rank 0): byte-identical.
"$root/launch/mpirun.sh" -n 2 index --slides "$tmp/slides/manifest.csv" --out "$tmp/two.pdidx" \
  --target-mpp 0.5 --tile-size 224 --qa "$tmp/qa2" > "$tmp/index2.out" 2>&1; rc=$?
check "indexing over 2 MPI ranks exits 0" test $rc -eq 0
check "... reports 2 ranks" grep -q "3 slide(s): 3 indexed, 0 skipped; .* 2 rank(s)" "$tmp/index2.out"
check "... writes the same index as 1 process" cmp -s "$tmp/tiles.pdidx" "$tmp/two.pdidx"
check "... and every slide's QA picture" test "$(ls "$tmp/qa2" | wc -l)" -eq 3
# slide_001 goes bad after indexing: its level-0 tile data overwritten with random bytes.
size=$(stat -c %s "$tmp/slides/slide_001.tiff")
dd if=/dev/urandom of="$tmp/slides/slide_001.tiff" bs=1 seek=$((size / 20)) count=$((size / 3)) \
  conv=notrunc status=none

on_tiles=(--set "data.wsi.index=$tmp/tiles.pdidx" --set "eval.knn_dataset=$tmp/slides/labelled"
          --set "run.output_dir=$tmp/runs" --set optim.epochs=2 --set optim.iterations_per_epoch=4
          --set optim.warmup_epochs=1 --set data.batch_size_per_rank=4 --set run.log_every_steps=2)
"$root/launch/mpirun.sh" -n 2 train -c "$config" "${on_tiles[@]}" > "$tmp/train.out" 2>&1; rc=$?
cat "$tmp/train.out"
check "2-rank training on slide tiles exits 0 despite the corrupted slide" test $rc -eq 0
check "start-up names the tile source" grep -q "data: whole-slide tiles from $tmp/tiles.pdidx" "$tmp/train.out"
check "start-up shows the balanced draws per site" grep -Eq "sampling: balanced over site .* site_a [0-9]+ \(of [0-9]+ tiles\) site_b" "$tmp/train.out"
check "the bad slide is quarantined with one line naming it" \
  grep -Eq "^warning: rank [01]: .*slide_001.tiff: quarantined for the rest of the run after 3 failed reads" "$tmp/train.out"
check "every rank finished with the same parameters" grep -q "rank 1: done: 8 steps, parameters equal to rank 0's" "$tmp/train.out"
python3 - "$tmp/runs/tiny_wsi/metrics.jsonl" <<'PY'; rc=$?
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert len(rows) == 8, len(rows)
last = rows[-1]
assert last["source_skipped_reads"] >= 3, last
assert 1 <= last["source_quarantined"] <= 2, last  # one slide, counted by each rank that hit it
assert all(r["skipped"] == 0 for r in rows), "no training step was lost"
PY
check "JSONL counts the skipped reads and the quarantine, no step lost" test $rc -eq 0
check "progress line reports the skips" grep -Eq "^step 8/8 .*skipped reads [0-9]+ quarantined [12]" "$tmp/train.out"

"$bin" eval knn -c "$config" "${on_tiles[@]}" --backbone "$tmp/runs/tiny_wsi/teacher_backbone.safetensors" \
  --json > "$tmp/knn.json"; rc=$?
check "eval knn on the labelled tile set exits 0" test $rc -eq 0
check "kNN bank and queries: 4 classes x 4 tiles each" \
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not (r['bank']==16 and r['queries']==16 and r['classes']==4 and 0<=r['top1']<=1))" "$tmp/knn.json"

# A labelled tile index: 4 slides, classes and splits from the manifest (train: slides 0 and 1).
"$bin" synth --out "$tmp/lslides" --slides 4 --width 1024 --height 768 --seed 5 > /dev/null
awk -F, 'NR == 1 { print $0 ",label,split"; next }
         { print $0 "," (NR % 2 ? "stroma" : "tumour") "," (NR <= 3 ? "train" : "val") }' \
  "$tmp/lslides/manifest.csv" > "$tmp/lslides/labelled.csv"
"$bin" index --slides "$tmp/lslides/labelled.csv" --out "$tmp/labelled.pdidx" --target-mpp 0.5 \
  --tile-size 224 > /dev/null
"$bin" eval knn -c "$config" "${on_tiles[@]}" --set "eval.knn_dataset=$tmp/labelled.pdidx" \
  --set eval.knn_k=3 --json > "$tmp/knn_index.json"; rc=$?
cat "$tmp/knn_index.json"
check "eval knn on a labelled tile index: bank = train slides' tiles, queries = val slides'" \
  python3 - "$tmp/knn_index.json" "$tmp/labelled.pdidx.summary.csv" <<'PY'
import csv, json, sys
r = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
tiles = [int(x["tiles"]) for x in sorted(rows, key=lambda x: x["path"])]
print("tiles per slide:", tiles)
sys.exit(not (r["classes"] == 2 and r["bank"] == tiles[0] + tiles[1] and
              r["queries"] == tiles[2] + tiles[3] and 0 <= r["top1"] <= 1))
PY
"$bin" eval linear -c "$config" "${on_tiles[@]}" --set "eval.knn_dataset=$tmp/labelled.pdidx" \
  --set eval.knn_label_column=diagnosis > /dev/null 2> "$tmp/err"; rc=$?
check "a label column no slide has is refused, naming the index and the column" \
  bash -c "test $rc -ne 0 && grep -q \"labelled.pdidx: no slide has a value in the label column 'diagnosis'\" '$tmp/err'"

"$bin" eval knn -c "$config" --set "data.wsi.index=$tmp/tiles.pdidx" --set eval.knn_dataset= \
  > /dev/null 2> "$tmp/err"; rc=$?
check "kNN without a labelled set is refused" test $rc -ne 0

check "... saying eval.knn_dataset is needed" grep -q "eval.knn_dataset: a labelled image folder" "$tmp/err"

"$bin" train -c "$config" --set "data.wsi.index=$tmp/nothing.pdidx" --set "run.output_dir=$tmp/runs2" \
  > /dev/null 2> "$tmp/err"; rc=$?
check "a missing index is refused" test $rc -ne 0
check "... naming the file" grep -q "nothing.pdidx" "$tmp/err"
check "... before the run folder is made" test ! -e "$tmp/runs2"
"$bin" train -c "$config" "${on_tiles[@]}" --set data.wsi.balance_by=patient --set "run.output_dir=$tmp/runs3" \
  > /dev/null 2> "$tmp/err"; rc=$?
check "an unknown group column is refused naming it" grep -q "no slide has the group column 'patient'" "$tmp/err"
finish
