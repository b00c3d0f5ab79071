#!/usr/bin/env bash
# The run report, as a user gets it: a 2-rank run with the kNN monitor on a two-site labelled set
# (site_b deliberately harder) writes RUN/report/ at its end — report.md whose every linked plot
# is a real PNG (loss terms, entropy, kNN, kNN per site, Robustness Index) and whose model card
# has data, recipe, compute, evaluation and known limits; report.json's numbers equal what
# `eval knn` / `eval robustness` print for the same teacher and random seeds, and the Robustness
# Index the live monitor logged over 2 ranks equals `eval robustness`'s, and the monitor logs the
# initialisation's scores per site and Robustness Index in the first record, and random features'
# (eval's seed 0) once, their level shown on every later kNN line. `pathodino report RUN`
# rewrites it (--seeds 0: no evaluation); a folder that is no run is refused by name, a corrupt log
# line skipped, counted and named; `train --no-report` writes none.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
config="$root/configs/debug/tiny_cpu.yaml"

"$bin" synth --out "$tmp/s" --slides 2 --width 1024 --height 768 --labelled-tiles 24 \
  --tile-size 64 --seed 3 > /dev/null || { echo "FAIL synth"; exit 1; }
"$python" "$(dirname "$0")/two_site_set.py" "$tmp/s/labelled" ||
  { echo "FAIL writing the two-site CSV"; exit 1; }
sets=(--set "eval.knn_dataset=$tmp/s/labelled/sites.csv" --set "run.output_dir=$tmp/runs"
      --set optim.epochs=2 --set optim.iterations_per_epoch=4 --set data.batch_size_per_rank=4
      --set eval.knn_every_steps=4 --set eval.report_seeds=2 --set run.log_every_steps=1)
"$root/launch/mpirun.sh" -n 2 train -c "$config" "${sets[@]}" > "$tmp/train.out" 2>&1; rc=$?
cat "$tmp/train.out"
run="$tmp/runs/tiny_cpu"
check "a 2-rank run with the kNN monitor exits 0 and names its report" \
  bash -c "test $rc -eq 0 && grep -q '^  report: $run/report/report.md$' '$tmp/train.out'"
check "... the monitor scores random features once and shows their level on every later line" \
  bash -c "grep -Eq '^knn of random features without LayerScale \(init seed 0\): top-1 [0-9.]+%' '$tmp/train.out' &&
    grep -Eq '^knn after 8 step\(s\): top-1 [0-9.]+% \(random [0-9.]+%\), balanced [0-9.]+% \(random [0-9.]+%\)' '$tmp/train.out'"
check "... the monitor's line has the Robustness Index" \
  grep -Eq '^knn after 8 step\(s\): .*worst site site_b .*, Robustness Index 0\.[0-9]{3}' \
  "$tmp/train.out"

"$bin" eval knn -c "$config" "${sets[@]}" --backbone "$run/teacher_backbone.safetensors" --json \
  > "$tmp/knn.json" &&
  "$bin" eval knn -c "$config" "${sets[@]}" --random-baseline 2 --json > "$tmp/random.json" &&
  "$bin" eval robustness -c "$config" "${sets[@]}" --backbone "$run/teacher_backbone.safetensors" \
    --baseline 2 --json > "$tmp/robust.json"
check "eval knn / robustness on the same teacher and seeds exit 0" test $? -eq 0
"$python" - "$run" "$tmp" <<'PY'; rc=$?
import json, pathlib, re, sys
from PIL import Image
run, tmp = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
md = (run / "report/report.md").read_text()
report = json.load(open(run / "report/report.json"))
knn, random, robust = (json.load(open(tmp / f)) for f in ("knn.json", "random.json", "robust.json"))
plots = re.findall(r"!\[[^]]*\]\(([^)]+)\)", md)
assert plots == ["losses.png", "entropy.png", "knn.png", "knn_groups.png", "robustness.png"], plots
for p in plots:
    with Image.open(run / "report" / p) as image:
        assert image.format == "PNG" and image.size == (960, 600), (p, image.size)
assert report["plots"] == plots
for section in ("### Data", "### Recipe", "### Compute", "### Evaluation", "### Known limits"):
    assert section in md, section
assert "2 rank(s), 8 images per step in all; 64 images drawn by step 8 (the latest" in md, md
assert "| `model.arch` | vit_tiny |" in md
e = report["evaluation"]
t, r = e["teacher"], e["random"]
assert abs(t["knn_top1"] - knn["top1"]) < 1e-6, (t, knn)
assert abs(t["knn_balanced"] - knn["balanced"]) < 1e-6
seeds = [s["knn_top1"] for s in r["seeds"]]
assert len(seeds) == 2 and max(abs(a - b) for a, b in zip(seeds, random["seeds"])) < 1e-6
assert r["best_seed"] == random["best_seed"] and abs(r["best"]["knn_top1"] - random["top1"]) < 1e-6
assert t["group_column"] == "site" and t["groups"]["site_b"]["balanced"] < t["groups"]["site_a"]["balanced"]
assert abs(t["robustness_index"] - robust["robustness_index"]) < 1e-9, (t, robust)
assert abs(t["site_balanced"] - robust["site_balanced"]) < 1e-6
assert abs(r["robustness_index_mean"] - robust["random_baseline"]["robustness_index_mean"]) < 1e-9
first = json.loads(open(run / "metrics.jsonl").readline())
at_start = {"knn_top1_at_start", "knn_balanced_at_start", "knn_balanced_at_start.site_a",
            "knn_balanced_at_start.site_b", "knn_robustness_index_at_start"}
assert first["step"] == 0 and at_start <= set(first), sorted(first)
# The live line's yardstick is eval's random seed 0, scored over 2 ranks.
assert abs(first["knn_top1_random"] - random["seeds"][0]) < 1e-6, (first, random["seeds"])
assert {"knn_balanced_random.site_a", "knn_balanced_random.site_b"} <= set(first), sorted(first)
live = report["last_logged"]["knn_robustness_index"]
assert abs(live - t["robustness_index"]) < 0.01, (live, t["robustness_index"])
assert f"| kNN top-1 | {100 * t['knn_top1']:.2f}% | {100 * r['best']['knn_top1']:.2f}% |" in md
assert re.search(r"\| kNN balanced, site site_b \(48 queries\) \| [0-9.]+% \| [0-9.]+% \|", md)
assert "| Robustness Index (k=20" in md and "| site predictability, balanced" in md
print("report:", {k: round(t[k], 3) for k in ("knn_top1", "robustness_index", "site_balanced")},
      "random best:", round(r["best"]["knn_top1"], 3), "live RI:", round(live, 3))
PY
check "report.md links five real PNGs and a model card; report.json equals eval's numbers" test $rc -eq 0

"$bin" report "$run" --seeds 0 --out "$tmp/plain" > "$tmp/plain.out" 2>&1; rc=$?
cat "$tmp/plain.out"
check "report RUN --seeds 0 writes plots and card without evaluating" \
  bash -c "test $rc -eq 0 && grep -q 'Not evaluated: no random-feature seeds' '$tmp/plain/report.md' \
    && test -s '$tmp/plain/knn_groups.png' && ! grep -q 'scoring the teacher' '$tmp/plain.out'"

"$bin" report "$tmp/s" > "$tmp/norun.out" 2>&1; rc=$?
cat "$tmp/norun.out"
check "a folder that is no run is refused (exit 1), naming config.yaml" \
  bash -c "test $rc -eq 1 && grep -q '$tmp/s/config.yaml: not found' '$tmp/norun.out'"
sed -i '3s/.*/{"step": oops/' "$run/metrics.jsonl"
"$bin" report "$run" --seeds 0 > "$tmp/badlog.out" 2>&1; rc=$?
cat "$tmp/badlog.out"
check "a corrupt log line is skipped and counted, naming file and line (exit 0)" \
  bash -c "test $rc -eq 0 && grep -q 'warning: 1 unreadable line(s) of the metrics log skipped, the first at .*metrics.jsonl:3$' '$tmp/badlog.out' &&
    grep -q '1 unreadable line(s) skipped, the first at .*metrics.jsonl:3)' '$run/report/report.md'"

"$bin" train -c "$config" "${sets[@]}" --set run.name=quiet --set optim.epochs=1 --no-report \
  > "$tmp/quiet.out" 2>&1; rc=$?
check "train --no-report writes no report" \
  bash -c "test $rc -eq 0 && test ! -e '$tmp/runs/quiet/report' && ! grep -q 'report:' '$tmp/quiet.out'"
finish
