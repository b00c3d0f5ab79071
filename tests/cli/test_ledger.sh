#!/usr/bin/env bash
# The data ledger, checked against what the loader really trained on: a run over 2 MPI ranks on a
# tile index (balanced over sites, several epochs) with audit.draw_log on, resumed on 1 rank, logs
# every image index it trains on; `audit ledger` rebuilds each checkpoint's draws per slide (and
# per site) from the checkpoint alone and must give exactly the logged counts, before and after
# the resume. `audit used` finds a drawn slide under another file name (by content) and says no
# for a slide the run never indexed; a tile index changed since training is refused by name. The
# run report counts the images drawn across the resume. `eval` refuses a labelled set with a slide
# (by content) or a patient the backbone trained on, unless --allow-overlap.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
export PATHODINO_BIN=$bin
config="$root/configs/debug/tiny_wsi.yaml"

"$bin" synth --out "$tmp/slides" --slides 4 --width 1536 --height 1024 --seed 11 > /dev/null ||
  { echo "FAIL synth"; exit 1; }
# Two slides per patient: p0 (slides 0, 1), p1 (slides 2, 3).
awk -F, 'NR == 1 { print $0 ",patient"; next } { print $0 ",p" int((NR - 2) / 2) }' \
  "$tmp/slides/manifest.csv" > "$tmp/slides/train.csv"
"$bin" index --slides "$tmp/slides/train.csv" --out "$tmp/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 224 --no-qa > /dev/null || { echo "FAIL index"; exit 1; }
sets=(--set "data.wsi.index=$tmp/tiles.pdidx" --set "run.output_dir=$tmp/runs"
      --set optim.iterations_per_epoch=6 --set optim.warmup_epochs=0 --set data.batch_size_per_rank=4
      --set checkpoint.every_steps=3 --set checkpoint.keep_last=10 --set audit.draw_log=true --set eval.knn_every_steps=0
      --set ssl.teacher.warmup_temp_epochs=0)
"$root/launch/mpirun.sh" -n 2 train -c "$config" "${sets[@]}" --set optim.epochs=1 --no-report \
  > "$tmp/train1.out" 2>&1; rc1=$?
"$bin" train -c "$config" "${sets[@]}" --set optim.epochs=2 --resume auto --no-report \
  > "$tmp/train2.out" 2>&1; rc2=$?
cat "$tmp/train1.out" "$tmp/train2.out" | grep -E "^resuming|^done|rror"
check "6 steps over 2 ranks, then resumed on 1 rank to step 12 (exit 0)" \
  bash -c "test $rc1 -eq 0 && test $rc2 -eq 0 && grep -q 'written by 2 rank(s), resharded to 1' '$tmp/train2.out'"
ckpt="$tmp/runs/tiny_wsi/checkpoints"
for step in 6 12; do
  "$bin" audit ledger "$ckpt/$(printf step-%08d "$step")" --json > "$tmp/ledger$step.json" 2> "$tmp/ledger.err" ||
    { cat "$tmp/ledger.err"; echo "FAIL audit ledger $step"; exit 1; }
done
"$bin" audit ledger "$ckpt/step-00000012" --by site > "$tmp/by_site.csv"
check "audit ledger gives exactly the tiles the loader logged, per slide and per site, across the resume, and the build's git commit" \
  "$python" - "$tmp" "$root" <<'PY'
import csv, json, pathlib, sys
from collections import Counter
tmp = pathlib.Path(sys.argv[1])
draws = [r for f in sorted((tmp / "runs/tiny_wsi/draws").glob("rank_*.csv"))
         for r in csv.DictReader(open(f))]
assert {r["rank"] for r in draws} == {"0", "1"}, "both ranks logged"
for step in (6, 12):
    ledger = json.load(open(tmp / f"ledger{step}.json"))
    assert ledger["step"] == step, ledger["step"]
    slide_of = []
    for s in ledger["slides"]:
        slide_of += [s["slide"]] * s["tiles"]
    logged = [int(r["index"]) for r in draws if int(r["step"]) < step]
    assert ledger["images_drawn"] == len(logged) == (48 if step == 6 else 72), (ledger["images_drawn"], len(logged))
    per_slide = Counter(slide_of[i] for i in logged)
    distinct = Counter(slide_of[i] for i in set(logged))
    for s in ledger["slides"]:
        assert s["draws"] == per_slide[s["slide"]], (step, s, per_slide)
        assert s["distinct_tiles"] == distinct[s["slide"]], (step, s, distinct)
    assert max(Counter(logged).values()) > 1 or step == 6, "several epochs: tiles drawn twice"
import subprocess
head = subprocess.run(["git", "-C", sys.argv[2], "rev-parse", "HEAD"], capture_output=True, text=True)
commit = json.load(open(tmp / "ledger12.json"))["commit"]
assert (commit.removesuffix("-dirty") == head.stdout.strip()) if head.returncode == 0 else commit == "unknown", commit
sites = {r["site"]: r for r in csv.DictReader(open(tmp / "by_site.csv"))}
ledger = json.load(open(tmp / "ledger12.json"))
for site, row in sites.items():
    want = sum(s["draws"] for s in ledger["slides"] if s["groups"]["site"] == site)
    assert int(row["draws"]) == want, (site, row, want)
print({s["slide"].rsplit("/", 1)[-1]: (s["draws"], s["distinct_tiles"]) for s in ledger["slides"]})
PY

"$bin" report "$tmp/runs/tiny_wsi" --seeds 0 > /dev/null 2>&1
check "the run report's model card counts the images drawn across the resume (48 + 24)" \
  grep -q '1 rank(s), 4 images per step in all; 72 images drawn by step 12' "$tmp/runs/tiny_wsi/report/report.md"

cp "$tmp/slides/slide_000.svs" "$tmp/renamed.svs"
"$bin" synth --out "$tmp/other" --slides 1 --width 1024 --height 768 --seed 99 > /dev/null
printf '%s\n%s\n' "$tmp/renamed.svs" "$tmp/other/slide_000.svs" > "$tmp/list.txt"
"$bin" audit used "$ckpt/step-00000012" --slides "$tmp/list.txt" > "$tmp/used.out"; rc=$?
cat "$tmp/used.out"
check "audit used: a drawn slide under another name is found by content, with its counts" \
  bash -c "test $rc -eq 0 && grep -Eq '^$tmp/renamed.svs: yes, [0-9]+ draws of [0-9]+ distinct tiles$' '$tmp/used.out'"
check "... and a slide the run never indexed is not" \
  grep -q "^$tmp/other/slide_000.svs: no (not in the run's tile index)$" "$tmp/used.out"
printf 'patient,path\np0,"%s"\n' "$tmp/renamed.svs" > "$tmp/list.csv"
"$bin" audit used "$ckpt/step-00000012" --slides "$tmp/list.csv" > "$tmp/used_csv.out"; rc=$?
check "... and reads the slide files of a CSV's path column" \
  bash -c "test $rc -eq 0 && grep -q '^$tmp/renamed.svs: yes' '$tmp/used_csv.out'"

# Labelled sets to evaluate on: 4 other slides (labels and splits from the manifest) under other
# patients; the same with one patient shared with training; and with a training slide renamed.
"$bin" synth --out "$tmp/lab" --slides 4 --width 1024 --height 768 --seed 21 > /dev/null
labelled() {  # labelled NAME PATIENT_OF_FIRST [FIRST_FILE]
  awk -F, -v p="$2" -v f="${3:-}" 'NR == 1 { print $0 ",label,split,patient"; next }
    { path = (NR == 2 && f != "") ? f : $1; sub(/^[^,]*/, path)
      print $0 "," (NR % 2 ? "stroma" : "tumour") "," (NR <= 3 ? "train" : "val") "," (NR == 2 ? p : "q" NR) }' \
    "$tmp/lab/manifest.csv" > "$tmp/lab/$1.csv"
  "$bin" index --slides "$tmp/lab/$1.csv" --out "$tmp/$1.pdidx" --target-mpp 0.5 --tile-size 224 \
    --no-qa > /dev/null
}
cp "$tmp/slides/slide_000.svs" "$tmp/lab/case_x.svs"
labelled other q1 && labelled shared p0 && labelled copied q1 case_x.svs
eval_on() {  # eval_on NAME [ARGS...]
  local name=$1; shift
  "$bin" eval knn -c "$config" "${sets[@]}" --set "eval.knn_dataset=$tmp/$name.pdidx" \
    --set eval.knn_k=3 --baseline 0 --backbone "$tmp/runs/tiny_wsi/teacher_backbone.safetensors" "$@"
}
eval_on other > "$tmp/other.out" 2>&1; rc=$?
check "eval knn on slides and patients the run never drew scores them (exit 0)" \
  bash -c "test $rc -eq 0 && grep -q '^kNN top-1' '$tmp/other.out'"
eval_on copied > "$tmp/copied.out" 2>&1; rc=$?
cat "$tmp/copied.out"
check "a labelled slide that trained the backbone, under another name, is refused by content (exit 1)" \
  bash -c "test $rc -eq 1 && grep -q 'copied.pdidx: slide .*case_x.svs (patient q1) was drawn in training (data ledger of .*step-00000012)' '$tmp/copied.out'"
eval_on shared > "$tmp/shared.out" 2>&1; rc=$?
check "a labelled slide of a patient whose other slide trained the backbone is refused (exit 1)" \
  bash -c "test $rc -eq 1 && grep -q 'shared.pdidx: slide .*slide_000.svs (patient p0): a slide of the same patient was drawn' '$tmp/shared.out'"
"$bin" keys generate-aes --out "$tmp/pseudonym.key" > /dev/null
eval_on shared --set privacy.pseudonymise=true --set "privacy.key_file=$tmp/pseudonym.key" \
  > "$tmp/private.out" 2>&1; rc=$?
check "... by pseudonym under privacy.pseudonymise (Note [Pseudonyms])" \
  bash -c "test $rc -eq 1 && grep -Eq 'shared.pdidx: slide slide-[0-9a-f]{12} \(patient patient-[0-9a-f]{12}\): a slide of the same patient was drawn' '$tmp/private.out' && ! grep -q -e slide_000 -e 'patient p0' '$tmp/private.out'"
eval_on copied --allow-overlap > "$tmp/allowed.out" 2>&1; rc=$?
check "... and scored when told to (--allow-overlap)" \
  bash -c "test $rc -eq 0 && grep -q '^kNN top-1' '$tmp/allowed.out'"

"$bin" index --slides "$tmp/slides/train.csv" --out "$tmp/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 256 --no-qa > /dev/null
"$bin" audit ledger "$ckpt/step-00000012" > /dev/null 2> "$tmp/changed.err"; rc=$?
check "a tile index changed since training is refused (exit 1), naming it" \
  bash -c "test $rc -eq 1 && grep -q 'tiles.pdidx: not the tile index this checkpoint was trained on' '$tmp/changed.err'"
finish
