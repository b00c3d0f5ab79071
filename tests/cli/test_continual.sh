#!/usr/bin/env bash
# Continual pretraining as a radiology team runs RAD-DINO's recipe: a tiny_dicom run exports its
# teacher with heads (pathodino's backbone file with heads, DINOv2's teacher_checkpoint.pth);
# configs/debug/tiny_dicom_continual.yaml continues from it over 2 ranks at a new resolution.
#  - its first DINO losses start near the previous run's last ones, not at log K;
#  - the heads-only warm-up shows in the JSONL (backbone_lr 0, then re-warmed), and the teacher's
#    backbone is still the loaded one after it (every tensor equal; the position embedding
#    resampled to the new grid), while the backbone has moved by the end;
#  - the control: continuing from the backbone alone initialises the heads, whose first losses
#    are far further from the previous run's;
#  - heads of another shape are refused, naming the file and the tensor.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
export PATHODINO_BIN=$bin OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

"$python" "$(dirname "$0")/dicom_set.py" "$tmp/xr" 12 6 96 > /dev/null || { echo "FAIL dicom_set"; exit 1; }
"$bin" index-dicom --source "$tmp/xr" --out "$tmp/xr.pdcm" > /dev/null || { echo "FAIL index"; exit 1; }
sets=(--set "data.dicom.index=$tmp/xr.pdcm" --set "eval.knn_dataset=$tmp/xr.pdcm"
      --set "run.output_dir=$tmp/runs" --set eval.report_seeds=0 --set eval.knn_every_steps=0)
"$bin" train -c "$root/configs/debug/tiny_dicom.yaml" "${sets[@]}" --set optim.epochs=5 \
  > "$tmp/first.out" 2>&1; rc=$?
first=$tmp/runs/tiny_dicom
check "the first run exports its teacher with heads in both forms" bash -c "test $rc -eq 0 &&
  test -s '$first/teacher_with_heads.safetensors' && test -s '$first/teacher_checkpoint.pth'"

continual=(-c "$root/configs/debug/tiny_dicom_continual.yaml" "${sets[@]}"
           --set checkpoint.every_steps=10 --set checkpoint.keep_every_steps=10)
"$root/launch/mpirun.sh" -n 2 train "${continual[@]}" \
  --set "model.pretrained=$first/teacher_with_heads.safetensors" > "$tmp/continual.out" 2>&1; rc=$?
grep -E "continues from|^done" "$tmp/continual.out"
check "the continual run trains over 2 ranks at 80 px from the file's backbone and heads" bash -c "
  test $rc -eq 0 && grep -q '^done: 25 steps' '$tmp/continual.out' &&
  grep -q 'continues from .*teacher_with_heads.safetensors: backbone and heads; heads only for 10 step' '$tmp/continual.out'"

"$bin" train "${continual[@]}" --set run.name=control --set optim.epochs=1 \
  --set optim.iterations_per_epoch=12 --set "model.pretrained=$first/teacher_backbone.safetensors" \
  > "$tmp/control.out" 2>&1; rc=$?
check "the control continues from the backbone alone, its heads initialised" bash -c "
  test $rc -eq 0 && grep -q 'backbone; heads initialised (none in it)' '$tmp/control.out'"

"$python" - "$first/metrics.jsonl" "$tmp/runs/tiny_dicom_continual/metrics.jsonl" \
  "$tmp/runs/control/metrics.jsonl" <<'PY' > "$tmp/losses.out" 2>&1; rc=$?
import json, math, sys
first, continual, control = ([json.loads(l) for l in open(f)] for f in sys.argv[1:4])
log_k = math.log(4096)
last = sum(r["dino_loss"] for r in first[-5:]) / 5
start = sum(r["dino_loss"] for r in continual[:5]) / 5
fresh = sum(r["dino_loss"] for r in control[:5]) / 5
print(f"log K {log_k:.3f}; previous run's last 5 steps {last:.3f}; continual's first 5 {start:.3f}; "
      f"control (heads initialised) {fresh:.3f}")
gap = log_k - last
assert gap > 0.5, "the first run did not move away from log K"
assert abs(start - last) < 0.35 * gap, "the continual run does not start near the previous run"
assert abs(fresh - last) > 2 * abs(start - last), "the control starts as near"
PY
cat "$tmp/losses.out"
check "the continual run's first DINO losses start near the previous run's last, not at log K" \
  test $rc -eq 0

"$python" - "$tmp/runs/tiny_dicom_continual/metrics.jsonl" <<'PY' > "$tmp/warmup.out" 2>&1; rc=$?
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("backbone_lr", [f"{r['backbone_lr']:.2e}" for r in rows[:22]])
assert all(r["backbone_lr"] == 0 and r["lr"] > 0 for r in rows[:10])
ramp = [r["backbone_lr"] / r["lr"] for r in rows[10:20]]
assert all(0 < a < b for a, b in zip(ramp, ramp[1:])) and ramp[-1] < 1, ramp
assert all(abs(r["backbone_lr"] - r["lr"]) < 1e-12 for r in rows[20:])
PY
cat "$tmp/warmup.out"
check "the JSONL shows the heads-only warm-up: backbone_lr 0 for 10 steps, then re-warmed" \
  test $rc -eq 0

steps=$tmp/runs/tiny_dicom_continual/checkpoints
"$bin" export --checkpoint "$steps/step-00000010" --out "$tmp/after10.safetensors" > /dev/null &&
  "$bin" export --checkpoint "$steps/step-00000025" --out "$tmp/after25.safetensors" > /dev/null
"$python" - "$first/teacher_backbone.safetensors" "$tmp/after10.safetensors" \
  "$tmp/after25.safetensors" <<'PY' > "$tmp/frozen.out" 2>&1; rc=$?
import sys
from safetensors.torch import load_file
loaded, after10, after25 = (load_file(f) for f in sys.argv[1:4])
assert set(loaded) == set(after10)
assert after10["pos_embed"].shape[1] == 1 + 25 and loaded["pos_embed"].shape[1] == 1 + 16
same = [k for k in loaded if k != "pos_embed" and (loaded[k] == after10[k]).all()]
print(f"{len(same)} of {len(loaded) - 1} tensors unchanged after the heads-only steps")
assert len(same) == len(loaded) - 1
moved = [k for k in loaded if k != "pos_embed" and not (loaded[k] == after25[k]).all()]
print(f"{len(moved)} moved by the end")
assert len(moved) > len(loaded) // 2
PY
cat "$tmp/frozen.out"
check "the teacher's backbone is the loaded one after the heads-only steps, and moves after" \
  test $rc -eq 0

"$bin" export --checkpoint "$steps" --with-heads --dinov2-checkpoint "$tmp/exported.pth" \
  --out "$tmp/exported.safetensors" > "$tmp/export.out" 2>&1; rc=$?
"$python" - "$tmp/exported.safetensors" "$tmp/exported.pth" \
  "$tmp/runs/tiny_dicom_continual/teacher_with_heads.safetensors" <<'PY' > "$tmp/forms.out" 2>&1; forms_rc=$?
import sys, torch
from safetensors.torch import load_file
ours, dinov2, end = load_file(sys.argv[1]), torch.load(sys.argv[2], weights_only=True), load_file(sys.argv[3])
assert set(ours) == set(dinov2["teacher"]) == set(end) and any(k.startswith("dino_head.") for k in ours)
assert all(torch.equal(ours[k], dinov2["teacher"][k]) and torch.equal(ours[k], end[k]) for k in ours)
PY
check "export --with-heads --dinov2-checkpoint gives the last checkpoint's teacher in both forms" \
  bash -c "test $rc -eq 0 && test $forms_rc -eq 0"

"$bin" train "${continual[@]}" --set run.name=bad --set ssl.dino.head.n_prototypes=2048 \
  --set "model.pretrained=$first/teacher_with_heads.safetensors" > "$tmp/bad.out" 2>&1; rc=$?
check "heads of another shape are refused, naming the file and the tensor" bash -c "
  test $rc -ne 0 && grep -q 'teacher_with_heads.safetensors: its heads do not fit' '$tmp/bad.out' &&
  grep -q \"tensor 'dino_head.last_layer.weight_v' has shape\" '$tmp/bad.out'"
finish
