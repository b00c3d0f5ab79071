#!/usr/bin/env bash
# `pathodino train` and `pathodino eval knn|linear` as a user runs them: a short vit_tiny run on the
# synthetic source, its JSONL log, the exported teacher, kNN on it, and the refusals and the
# divergence stop a user must be able to rely on.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"

config="$root/configs/debug/tiny_cpu.yaml"
# DINOv2's cosine schedules and teacher temperature ramp (tiny_cpu.yaml holds them constant), so
# that the checks below see every schedule move.
short=(--set optim.epochs=2 --set optim.iterations_per_epoch=3 --set optim.warmup_epochs=1
       --set optim.schedule=cosine --set ssl.teacher.temp=0.07 --set ssl.teacher.momentum=0.992
       --set data.batch_size_per_rank=4 --set data.synthetic.images_per_class=8
       --set run.log_every_steps=2 --set "run.output_dir=$tmp/runs" --set run.name=short)

"$bin" train -c "$config" "${short[@]}" > "$tmp/train.out" 2>&1; rc=$?
cat "$tmp/train.out"
check "train exits 0" test $rc -eq 0
check "progress line with step, img/s, ETA and loss terms" \
  grep -Eq '^step 6/6 \(100%\) \| [0-9.]+ img/s \| ETA [0-9]+s \| loss [-0-9.e]+ dino .* ibot .* koleo' "$tmp/train.out"
check "the run folder keeps the resolved config" "$bin" config check -c "$tmp/runs/short/config.yaml"
check "teacher backbone exported" test -s "$tmp/runs/short/teacher_backbone.safetensors"

"$python" - "$tmp/runs/short/metrics.jsonl" <<'PY'; rc=$?
import json, math, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert [r["step"] for r in rows] == list(range(6)), rows
keys = {"loss", "dino_loss", "ibot_loss", "koleo_loss", "lr", "last_layer_lr", "weight_decay",
        "teacher_momentum", "teacher_temp", "grad_norm", "teacher_entropy",
        "teacher_kl_to_uniform", "student_entropy", "student_kl_to_uniform", "prototypes_for_90pct",
        "cls_effective_rank", "center_norm", "images_per_second"}
for r in rows:
    missing = keys - r.keys()
    assert not missing, missing
    assert all(math.isfinite(r[k]) for k in keys), r
# Schedules as configured: warmup of 3 steps from 0, last layer frozen for epoch 0, teacher
# temperature warming up from 0.04 towards 0.07, momentum from 0.992 upwards.
assert rows[0]["lr"] == 0.0 and rows[2]["lr"] > rows[1]["lr"] > 0, [r["lr"] for r in rows]
assert all(r["last_layer_lr"] == 0.0 for r in rows[:3]) and rows[3]["last_layer_lr"] > 0
assert abs(rows[0]["teacher_temp"] - 0.04) < 1e-12 and rows[5]["teacher_temp"] > 0.04
assert abs(rows[0]["teacher_momentum"] - 0.992) < 1e-12 and rows[5]["teacher_momentum"] > 0.992
assert 0 <= rows[0]["teacher_entropy"] <= math.log(4096) + 1e-6
# Health monitors in their ranges: K = 4096 prototypes, 2 x 4 global crops per step.
assert all(1 <= r["prototypes_for_90pct"] <= 4096 for r in rows)
assert all(1 <= r["cls_effective_rank"] <= 8 + 1e-6 for r in rows)
assert rows[0]["center_norm"] == 0 and rows[5]["center_norm"] > 0  # moves from zero
print("metrics.jsonl: 6 rows, all keys finite, schedules as configured")
PY
check "metrics.jsonl holds every schedule value and loss term" test $rc -eq 0

"$bin" eval knn -c "$config" "${short[@]}" --backbone "$tmp/runs/short/teacher_backbone.safetensors" \
  --json > "$tmp/knn.json"; rc=$?
cat "$tmp/knn.json"
check "eval knn on the teacher exits 0" test $rc -eq 0
check "eval knn reports top-1 with k=20 over 32 queries" \
  "$python" -c "import json,sys; r=json.load(open('$tmp/knn.json')); sys.exit(not (0 <= r['top1'] <= 1 and r['k'] == 20 and r['queries'] == 32))"
"$bin" eval knn -c "$config" "${short[@]}" > "$tmp/knn_init.txt"; rc=$?
check "eval knn on the initialisation (baseline)" grep -q '^kNN top-1 .*(init; k=20' "$tmp/knn_init.txt"
# The random-feature yardstick: seeds 0..2 of the architecture without LayerScale, each the score
# `--set model.layerscale_init=0 --init-seed S` gives, the best of them reported.
"$bin" eval knn -c "$config" "${short[@]}" --random-baseline 3 --json > "$tmp/random.json"; rc=$?
cat "$tmp/random.json"
for seed in 0 1 2; do
  "$bin" eval knn -c "$config" "${short[@]}" --set model.layerscale_init=0 --init-seed $seed \
    --json > "$tmp/random_$seed.json"
done
check "eval knn --random-baseline 3: every seed scored as without LayerScale, the best reported" \
  "$python" -c "import json,sys; r=json.load(open('$tmp/random.json')); each=[json.load(open(f'$tmp/random_{s}.json'))['top1'] for s in range(3)]; sys.exit(not (r['seeds'] == each and r['top1'] == max(each) and 'LayerScale' in r['backbone']))"
"$bin" eval knn -c "$config" "${short[@]}" --random-baseline 2 \
  --backbone "$tmp/runs/short/teacher_backbone.safetensors" > /dev/null 2> "$tmp/random_bad.txt"
check "--random-baseline with --backbone is refused" grep -q "excludes" "$tmp/random_bad.txt"
"$bin" eval linear -c "$config" "${short[@]}" --backbone "$tmp/runs/short/teacher_backbone.safetensors" \
  --json > "$tmp/linear.json"; rc=$?
cat "$tmp/linear.json"
check "eval linear on the teacher: held-out top-1 over 32 images, the probe's loss fell below log(4)" \
  "$python" -c "import json,math,sys; r=json.load(open('$tmp/linear.json')); sys.exit(not (0 <= r['top1'] <= 1 and r['val'] == 32 and r['epochs'] == 300 and r['final_loss'] < math.log(4)))"
"$bin" eval linear -c "$config" "${short[@]}" --set eval.linear_lr=-1 > /dev/null 2> "$tmp/linear_bad.txt"; rc=$?
check "eval linear refuses a bad probe setting, naming it (exit 2)" \
  bash -c "test $rc -eq 2 && grep -q 'eval.linear_lr' '$tmp/linear_bad.txt'"

# A second run into the same folder is refused unless asked for.
"$bin" train -c "$config" "${short[@]}" > "$tmp/again.out" 2>&1; rc=$?
check "rerun into an existing run is refused" test $rc -eq 1
check "refusal names the folder" grep -q "runs/short already holds a run" "$tmp/again.out"

# A bad config is refused before any work: no run folder appears.
"$bin" train -c "$config" "${short[@]}" --set run.name=bad --set optim.base_lr=-1 > "$tmp/bad.out" 2>&1; rc=$?
check "bad config exits 2" test $rc -eq 2
check "bad config names the key" grep -q "optim.base_lr" "$tmp/bad.out"
check "bad config leaves no run folder" test ! -e "$tmp/runs/bad"

# A key whose feature does not exist yet is refused, not silently ignored.
"$bin" train -c "$config" "${short[@]}" --set run.name=noresume --resume "$tmp/nowhere" > "$tmp/noresume.out" 2>&1; rc=$?
check "a missing checkpoint to resume from is refused by path" grep -q "$tmp/nowhere" "$tmp/noresume.out"
check "refusal exits 1 and leaves no run folder" test $rc -eq 1 -a ! -e "$tmp/runs/noresume"

# Gradient accumulation: the global batch counts every micro-batch. The teacher temperature of 1
# makes its targets near-uniform (logits are cosines), so the DINO term, a cross-entropy against
# them, cannot fall below their entropy ≈ log K: the collapse warning must name it.
"$bin" train -c "$config" "${short[@]}" --set run.name=accum --set optim.grad_accumulation_steps=2 \
  --set ssl.teacher.temp=1.0 --set ssl.teacher.warmup_temp=1.0 > "$tmp/accum.out" 2>&1; rc=$?
check "gradient accumulation trains" test $rc -eq 0
check "global batch = ranks x micro-batches x batch" grep -q "steps of 8 images (1 rank(s) x 2 micro-batch(es) x 4)" "$tmp/accum.out"
check "a DINO term at log K after warm-up is named in a warning line" \
  grep -Eq '^warning: uniform collapse: after step 6 the DINO loss is [0-9.]+, at log K = 8.318' "$tmp/accum.out"

# The device path: loader threads crop and resample, the photometry (HED included) runs batched on
# the training device, here the CPU.
"$bin" train -c "$config" "${short[@]}" --set run.name=device --set data.device_augment=true \
  --set data.augmentation=pathology --set data.hed_jitter=0.05 > "$tmp/device.out" 2>&1; rc=$?
check "the device path trains" test $rc -eq 0
check "the start says where the photometry runs" grep -q "HED and normalisation batched on the cpu device" "$tmp/device.out"
check "the device path's losses are finite" "$python" -c "
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '\"loss\"' in l]
assert len(rows) >= 3 and all(math.isfinite(r['loss']) for r in rows), rows" "$tmp/runs/device/metrics.jsonl"
"$bin" train -c "$config" "${short[@]}" --set run.name=tiny --set data.device_augment=true \
  --set data.local_crops_size=4 --set model.patch_size=4 > "$tmp/tiny.out" 2>&1; rc=$?
check "crops too small for the device path are refused" grep -q "data.device_augment.*5 pixels or more, found 4" "$tmp/tiny.out"

# A loss that cannot be finite: skipped steps, then a stop naming the term and the step.
"$bin" train -c "$config" "${short[@]}" --set run.name=nan --set ssl.student_temp=1e-300 \
  --set run.max_consecutive_nonfinite=3 > "$tmp/nan.out" 2>&1; rc=$?
cat "$tmp/nan.out" | tail -2
check "divergence exits 3" test $rc -eq 3
check "divergence names the loss term and step" grep -q "step 2: dino loss is NaN for 3 consecutive steps" "$tmp/nan.out"

finish
