#!/usr/bin/env bash
# Checkpoints as a user relies on them, on real 2- and 4-rank jobs:
#   exactness  — 12 steps straight vs killed (SIGKILL of every rank) after step 6 and resumed:
#                identical loss log lines and bit-identical state (every tensor's checksum);
#                async saves (written in the background) hold the same state as synchronous ones;
#   resharding — resume 2 → 1, 2 → 4 (oversubscribed) and 4 → 2 ranks; training goes on;
#   export     — `pathodino export --checkpoint` gives the teacher the run exported;
#   ZeRO-1     — the same state as plain data parallel, half the optimizer memory per rank,
#                resumed on 4 ranks (shards redistributed) and back on 2 without ZeRO-1;
#   damage     — a corrupt or missing shard is named (file and tensor); resume falls back to the
#                previous complete checkpoint, or refuses when fallback is off;
#   full / read-only disk (tmpfs mounts, when the machine allows mounting) — a clear error, the
#                previous checkpoint intact, training continues or stops as configured.
# The crash-safety trials are in test_checkpoint_crash.sh.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1

config="$root/tests/cli/checkpoint_tiny.yaml"
base=(--set optim.epochs=3 --set data.batch_size_per_rank=4 --set data.synthetic.images_per_class=16
      --set checkpoint.every_steps=3 --set "run.output_dir=$tmp/runs")
train() {  # train RANKS NAME [ARGS...]
  local ranks=$1 name=$2; shift 2
  mpirun -np "$ranks" "$bin" train -c "$config" "${base[@]}" --set run.name="$name" "$@"
}
ck() { echo "$tmp/runs/$1/checkpoints/step-$(printf %08d "$2")"; }

# Loss terms of steps >= FROM in two logs, compared as text (bit-identical doubles).
same_losses() {  # same_losses LOG_A LOG_B FROM
  "$python" - "$@" <<'PY'
import json, sys
def rows(path, start):
    out = {}
    for line in open(path):
        r = json.loads(line)
        if r["step"] >= start:
            out[r["step"]] = [repr(r[k]) for k in ("loss", "dino_loss", "ibot_loss", "koleo_loss", "grad_norm")]
    return out
a, b = rows(sys.argv[1], int(sys.argv[3])), rows(sys.argv[2], int(sys.argv[3]))
print(f"steps {sorted(a)} vs {sorted(b)}")
sys.exit(not (a == b and len(a) > 0))
PY
}
# Every tensor's checksum equal in two manifests.
same_state() {
  "$python" -c "
import json, sys
a, b = (json.load(open(p + '/manifest.json'))['tensors'] for p in sys.argv[1:3])
print(len(a), 'tensors;', sum(a[k]['xxh3'] != b.get(k, {}).get('xxh3') for k in a), 'differ')
sys.exit(not (a.keys() == b.keys() and all(a[k]['xxh3'] == b[k]['xxh3'] for k in a)))" "$1" "$2"
}

# --- exactness: straight vs killed and resumed --------------------------------------------------
train 2 straight > "$tmp/straight.out" 2>&1; rc=$?
check "straight 2-rank run with checkpoints every 3 steps" test $rc -eq 0
check "final checkpoint at step 12 is sound" "$bin" checkpoint verify "$tmp/runs/straight"

train 2 killed > "$tmp/killed.out" 2>&1 &
for _ in $(seq 600); do
  grep -qs step-00000006 "$tmp/runs/killed/checkpoints/latest" && break
  sleep 0.02
done
pkill -KILL -f "run.name=killed"; wait
check "killed run had committed step 6 and no later step" \
  bash -c "grep -q step-00000006 '$tmp/runs/killed/checkpoints/latest' && ! grep -q '^done' '$tmp/killed.out'"
train 2 killed --resume auto > "$tmp/resumed.out" 2>&1; rc=$?
cat "$tmp/resumed.out" | grep -v '^step'
check "resume auto exits 0" test $rc -eq 0
check "resume names its checkpoint and position" \
  grep -q "resuming from .*killed/checkpoints/step-00000006: step 6, sample position 48" "$tmp/resumed.out"
check "identical loss lines for steps 6-11" \
  same_losses "$tmp/runs/straight/metrics.jsonl" "$tmp/runs/killed/metrics.jsonl" 6
check "the resumed log has steps 0-11 once each" "$python" -c "
import json, sys
steps = [json.loads(l)['step'] for l in open('$tmp/runs/killed/metrics.jsonl')]
sys.exit(steps != list(range(12)))"
check "bit-identical state at step 12 (every tensor's checksum)" \
  same_state "$(ck straight 12)" "$(ck killed 12)"
check "retention kept the last 2 (steps 9 and 12)" \
  test "$(ls "$tmp/runs/straight/checkpoints" | tr '\n' ' ')" = "latest step-00000009 step-00000012 "

train 2 async --set checkpoint.async_save=true > "$tmp/async.out" 2>&1; rc=$?
check "async saves: the run finishes, each save reports its blocking time" \
  bash -c "test $rc -eq 0 && grep -q 'step-00000009: .* s blocking training)' '$tmp/async.out'"
check "async saves: step 9 (written in the background) is sound" "$bin" checkpoint verify "$(ck async 9)"
check "async saves: the same state as synchronous ones" same_state "$(ck straight 9)" "$(ck async 9)"

# --- export from a checkpoint -----------------------------------------------------------------
"$bin" export --checkpoint "$tmp/runs/straight" --out "$tmp/teacher.safetensors" > "$tmp/export.out" 2>&1
check "export --checkpoint gives the teacher the run exported (every tensor's bytes)" \
  "$python" - "$tmp/teacher.safetensors" "$tmp/runs/straight/teacher_backbone.safetensors" <<'PY'
import json, struct, sys
def tensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    return {k: data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]] for k, v in header.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
print(len(a), "tensors")
sys.exit(not (a == b and len(a) > 100))
PY

# --- resharding ---------------------------------------------------------------------------------
final_loss() { "$python" -c "import json; print([json.loads(l) for l in open('$1')][-1]['loss'])"; }
close_loss() {  # the run's last loss within 5% of the straight run's
  "$python" -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(a, b); sys.exit(abs(a - b) > 0.05 * abs(b))" \
    "$(final_loss "$tmp/runs/$1/metrics.jsonl")" "$(final_loss "$tmp/runs/straight/metrics.jsonl")"
}
train 1 r21 --resume "$(ck straight 9)" > "$tmp/r21.out" 2>&1; rc=$?
check "2 -> 1 ranks: resumes and finishes" bash -c "test $rc -eq 0 && grep -q 'written by 2 rank(s), resharded to 1' '$tmp/r21.out'"
check "2 -> 1 ranks: final loss close to the uninterrupted run" close_loss r21
train 4 r24 --resume "$(ck straight 9)" --set optim.epochs=4 > "$tmp/r24.out" 2>&1; rc=$?
check "2 -> 4 ranks: resumes and finishes" bash -c "test $rc -eq 0 && grep -q 'resharded to 4' '$tmp/r24.out'"
check "2 -> 4 ranks: checkpoints written by 4 ranks" test -s "$(ck r24 15)/shard-00003-of-00004.safetensors"
train 2 r42 --resume "$(ck r24 15)" --set optim.epochs=5 > "$tmp/r42.out" 2>&1; rc=$?
check "4 -> 2 ranks: resumes and finishes" bash -c "test $rc -eq 0 && grep -q 'written by 4 rank(s), resharded to 2' '$tmp/r42.out'"
check "4 -> 2 ranks: the sample position goes on from the 4-rank run" \
  grep -q "step 15, sample position $(( 9 * 8 + 6 * 16 ))" "$tmp/r42.out"

train 1 other_model --resume "$(ck straight 12)" --set model.arch=vit_small > "$tmp/other.out" 2>&1; rc=$?
check "a checkpoint of another model is refused, naming the tensors" \
  bash -c "test $rc -ne 0 && grep -q \"does not fit this run's model\" '$tmp/other.out' && grep -q \"'student.backbone.cls_token' is Float\\[1, 1, 192\\], the model has Float\\[1, 1, 384\\]\" '$tmp/other.out'"

# --- ZeRO-1: optimizer state sharded across ranks -------------------------------------------------
close_state() {  # every tensor of two checkpoints within 1e-5
  "$python" - "$1" "$2" <<'PY'
import json, os, struct, sys, torch
def load(d):
    m, out = json.load(open(os.path.join(d, "manifest.json"))), {}
    for shard in m["shards"]:
        data = open(os.path.join(d, shard), "rb").read()
        n = struct.unpack("<Q", data[:8])[0]
        header = json.loads(data[8:8 + n]); header.pop("__metadata__", None)
        for k, v in header.items():
            b, e = v["data_offsets"]
            dtype = {"F32": torch.float32, "I64": torch.int64}[v["dtype"]]
            out[k] = torch.frombuffer(bytearray(data[8 + n + b:8 + n + e]), dtype=dtype) if e > b else torch.zeros(0)
    # ZeRO-1 writes each rank's piece of a moment as NAME@OFFSET: join them (a step count: any).
    pieces = {}
    for k in [k for k in out if "@" in k]:
        base, offset = k.rsplit("@", 1)
        pieces.setdefault(base, []).append((int(offset), out.pop(k)))
    for base, parts in pieces.items():
        parts.sort(key=lambda p: p[0])
        if base.endswith(".step"):
            out[base] = parts[0][1]
            continue
        assert all(o == sum(t.numel() for _, t in parts[:i]) for i, (o, _) in enumerate(parts)), base
        out[base] = torch.cat([t for _, t in parts])
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
worst = max((a[k].double() - b[k].double()).abs().max().item() if a[k].numel() else 0.0 for k in a)
print(f"{len(a)} tensors, max |diff| {worst:.3g}, pieces: {sum('@' in k for k in json.load(open(os.path.join(sys.argv[2], 'manifest.json')))['tensors'])}")
sys.exit(not (a.keys() == b.keys() and worst <= 1e-5))
PY
}
train 2 zero --set distributed.zero1=true > "$tmp/zero.out" 2>&1; rc=$?
grep "optimizer state" "$tmp/zero.out" "$tmp/straight.out"
check "ZeRO-1: the 2-rank run finishes" test $rc -eq 0
check "ZeRO-1: optimizer state per rank half of plain data parallel's (within 1%)" "$python" - "$tmp/zero.out" "$tmp/straight.out" <<'PY'
import re, sys
def per_rank(path):
    line = next(l for l in open(path) if "optimizer state (MB) per rank:" in l)
    return [float(x) for x in re.findall(r"[0-9.]+", line.split(":", 1)[1].split("(")[0])]
zero, plain = per_rank(sys.argv[1]), per_rank(sys.argv[2])
print("ZeRO-1", zero, "plain", plain)
sys.exit(not (abs(sum(zero) - plain[0]) < 0.01 * plain[0] and max(zero) < 0.51 * plain[0]))
PY
check "ZeRO-1: the same state as plain data parallel after 12 steps (within 1e-5)" \
  close_state "$(ck straight 12)" "$(ck zero 12)"
train 4 z24 --resume "$(ck zero 9)" --set distributed.zero1=true --set optim.epochs=4 > "$tmp/z24.out" 2>&1; rc=$?
check "ZeRO-1, 2 -> 4 ranks: optimizer shards redistributed, training finishes" \
  bash -c "test $rc -eq 0 && grep -q 'resharded to 4' '$tmp/z24.out' && test -s '$(ck z24 15)/shard-00003-of-00004.safetensors'"
train 2 z42 --resume "$(ck z24 15)" --set distributed.zero1=false --set optim.epochs=5 > "$tmp/z42.out" 2>&1; rc=$?
check "ZeRO-1 4 ranks -> plain 2 ranks: resumes and finishes" test $rc -eq 0

# --- damage: corrupt and missing shards ---------------------------------------------------------
cp -r "$tmp/runs/straight" "$tmp/runs/damaged"
shard="$(ck damaged 12)/shard-00001-of-00002.safetensors"
size=$(stat -c %s "$shard")
printf '\xff\xfe\xfd\xfc' | dd of="$shard" bs=1 seek=$((size - 4096)) conv=notrunc status=none
"$bin" checkpoint verify "$tmp/runs/damaged" > "$tmp/verify.out" 2>&1; rc=$?
cat "$tmp/verify.out"
check "verify fails on a flipped byte, naming the file and tensor" \
  bash -c "test $rc -eq 1 && grep -q \"shard-00001-of-00002.safetensors: tensor '.*' fails its checksum\" '$tmp/verify.out'"
train 1 damaged --resume auto --set checkpoint.fallback_to_previous=false > "$tmp/nofallback.out" 2>&1; rc=$?
check "without fallback, resume refuses naming the file" \
  bash -c "test $rc -ne 0 && grep -q 'shard-00001-of-00002.safetensors: tensor' '$tmp/nofallback.out'"
train 1 damaged --resume auto --set optim.epochs=4 > "$tmp/fallback.out" 2>&1; rc=$?
grep -v '^step' "$tmp/fallback.out"
check "with fallback, resume warns and continues from step 9" \
  bash -c "test $rc -eq 0 && grep -q 'warning: .*fails its checksum' '$tmp/fallback.out' && grep -q 'resuming from .*step-00000009: step 9' '$tmp/fallback.out'"
rm "$(ck straight 9)/shard-00000-of-00002.safetensors"
"$bin" checkpoint verify "$(ck straight 9)" > "$tmp/missing.out" 2>&1; rc=$?
check "a missing shard is named" \
  bash -c "test $rc -eq 1 && grep -q 'shard-00000-of-00002.safetensors: shard file is missing' '$tmp/missing.out'"

# --- full and read-only disks -------------------------------------------------------------------
mnt="$tmp/mnt"
mkdir -p "$mnt"
if mount -t tmpfs -o size=150m tmpfs "$mnt" 2>/dev/null; then
  # One checkpoint of this model is ~91 MB: the first fits, the second does not.
  train 2 full --set "checkpoint.directory=$mnt/ck" > "$tmp/full.out" 2>&1; rc=$?
  grep -v '^step' "$tmp/full.out"
  check "disk full: the save fails with a clear error and training continues" \
    bash -c "test $rc -eq 0 && grep -q 'could not write their shard.*No space left on device' '$tmp/full.out' && grep -q '^done: 12 steps' '$tmp/full.out'"
  check "disk full: latest is the first checkpoint, intact" \
    bash -c "grep -q step-00000003 '$mnt/ck/latest' && '$bin' checkpoint verify '$mnt/ck/step-00000003'"
  train 2 full_stop --overwrite --set "checkpoint.directory=$mnt/ck" \
    --set checkpoint.on_save_failure=stop > "$tmp/full_stop.out" 2>&1; rc=$?
  check "disk full with on_save_failure=stop: the run stops with the reason" \
    bash -c "test $rc -ne 0 && grep -q 'No space left on device.*(checkpoint.on_save_failure: stop)' '$tmp/full_stop.out'"
  # Async: the failure reaches the ranks in the background; they stop together at the next save.
  train 2 full_stop_async --overwrite --set "checkpoint.directory=$mnt/ck" \
    --set checkpoint.async_save=true --set checkpoint.on_save_failure=stop > "$tmp/full_stop_async.out" 2>&1; rc=$?
  grep -v '^step' "$tmp/full_stop_async.out"
  check "disk full, async saves, on_save_failure=stop: the run stops with the reason, at the next save" \
    bash -c "test $rc -ne 0 && grep -q 'No space left on device.*(checkpoint.on_save_failure: stop)' '$tmp/full_stop_async.out' &&
             ! grep -q '^done' '$tmp/full_stop_async.out'"
  check "disk full, async saves: latest is still the first checkpoint, intact" \
    bash -c "grep -q step-00000003 '$mnt/ck/latest' && '$bin' checkpoint verify '$mnt/ck/step-00000003'"
  umount "$mnt"

  mount -t tmpfs -o size=200m tmpfs "$mnt"
  cp -r "$tmp/runs/killed/checkpoints" "$mnt/ck"
  mount -o remount,ro "$mnt"
  train 2 readonly --resume auto --set "checkpoint.directory=$mnt/ck" --set optim.epochs=4 \
    --set checkpoint.on_save_failure=stop > "$tmp/ro.out" 2>&1; rc=$?
  grep -v '^step' "$tmp/ro.out"
  check "read-only directory: resumes, then the save fails naming the cause" \
    bash -c "test $rc -ne 0 && grep -q 'resuming from' '$tmp/ro.out' && grep -q 'Read-only file system' '$tmp/ro.out'"
  check "read-only directory: the previous checkpoint is intact" \
    "$bin" checkpoint verify "$mnt/ck"
  # Async: rank 0 fails to prepare step-N.partial/ and the other rank learns it in the background.
  train 2 readonly_async --resume auto --set "checkpoint.directory=$mnt/ck" --set optim.epochs=4 \
    --set checkpoint.async_save=true > "$tmp/ro_async.out" 2>&1; rc=$?
  grep -v '^step' "$tmp/ro_async.out"
  check "read-only directory, async saves: they fail naming the cause, training continues" \
    bash -c "test $rc -eq 0 && grep -q 'rank 0 could not prepare .*Read-only file system' '$tmp/ro_async.out' &&
             grep -q 'previous checkpoint stays latest' '$tmp/ro_async.out' && grep -q '^done: ' '$tmp/ro_async.out'"
  check "read-only directory, async saves: the previous checkpoint is still latest and intact" \
    "$bin" checkpoint verify "$mnt/ck"
  umount "$mnt"
else
  echo "skip full/read-only disk checks: this machine does not allow mounting a tmpfs"
fi

finish
