#!/usr/bin/env bash
# The audit trail as a user meets it: a 2-rank run with checkpoints, then its resume on 1 rank,
# write one hash-chained log in the run folder (run_start, checkpoint_save…, run_end, report, then
# run_start, checkpoint_load…), and the same records, with an `eval knn` between them, into a
# shared log; `audit verify` passes both. An edited record, a record cut from the end and a
# removed head are each refused by `audit verify` (exit 1) naming the line or head at fault, and a
# resume on a tampered log is refused before it trains, naming the log.
set -uo pipefail
bin=$1
root=$2
python=$3
source "$(dirname "$0")/check.sh"
config="$root/configs/debug/tiny_cpu.yaml"
sets=(--set "run.output_dir=$tmp/runs" --set "audit.shared_log=$tmp/shared/audit.jsonl"
      --set optim.iterations_per_epoch=4 --set data.batch_size_per_rank=4
      --set checkpoint.every_steps=4 --set data.synthetic.images_per_class=16)
run="$tmp/runs/tiny_cpu"

"$root/launch/mpirun.sh" -n 2 train -c "$config" "${sets[@]}" --set optim.epochs=2 \
  > "$tmp/first.out" 2>&1; rc=$?
check "a 2-rank run with checkpoints exits 0" test $rc -eq 0 || cat "$tmp/first.out"
"$bin" eval knn -c "$config" "${sets[@]}" --backbone "$run/teacher_backbone.safetensors" \
  > /dev/null; rc=$?
check "eval knn on its teacher exits 0" test $rc -eq 0
"$bin" train -c "$config" "${sets[@]}" --set optim.epochs=3 --resume auto > "$tmp/resume.out" 2>&1
rc=$?
check "its resume on 1 rank exits 0" test $rc -eq 0 || cat "$tmp/resume.out"

"$bin" audit verify "$run/audit.jsonl" > "$tmp/verify.out"; rc=$?
cat "$tmp/verify.out"
check "audit verify passes the run's log" \
  bash -c "test $rc -eq 0 && grep -q '^ok: $run/audit.jsonl: 10 record(s)' '$tmp/verify.out'"
"$bin" audit verify "$tmp/shared/audit.jsonl" --json > "$tmp/shared.json"; rc=$?
check "... and the shared log" test $rc -eq 0
check "the records name the run's events in order, with their hashes" \
  "$python" - "$run" "$tmp/shared/audit.jsonl" <<'PY'
import hashlib, json, pathlib, sys
run, shared = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
records = [json.loads(l) for l in open(run / "audit.jsonl")]
events = [r["event"] for r in records]
assert events == ["run_start", "checkpoint_save", "checkpoint_save", "run_end", "report",
                  "run_start", "checkpoint_load", "checkpoint_save", "run_end", "report"], events
first, resume = records[0], records[5]
assert first["world_size"] == 2 and first["first_step"] == 0 and first["total_steps"] == 8, first
assert resume["world_size"] == 1 and resume["first_step"] == 8, resume
load = records[6]
assert load["step"] == 8 and load["world_size"] == 2, load
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
assert load["manifest_sha256"] == sha(pathlib.Path(load["checkpoint"]) / "manifest.json")
assert records[8]["teacher_sha256"] == sha(run / "teacher_backbone.safetensors")
assert records[9]["report_sha256"] == sha(run / "report/report.md")
for r in records:
    assert r["user"] and r["host"] and r["time"].endswith("Z"), r
shared_events = [json.loads(l)["event"] for l in open(shared)]
assert shared_events == events[:5] + ["eval knn"] + events[5:], shared_events
print("events:", " ".join(events))
PY

cp "$run/audit.jsonl" "$tmp/good.jsonl"; cp "$run/audit.jsonl.head" "$tmp/good.head"
sed -i '2s/"step":4/"step":5/' "$run/audit.jsonl"
"$bin" audit verify "$run/audit.jsonl" > "$tmp/edited.out" 2>&1; rc=$?
cat "$tmp/edited.out"
check "an edited record is refused (exit 1), naming its line, record and event" \
  bash -c "test $rc -eq 1 && grep -q 'line 2 (record 1, checkpoint_save): its content does not match its hash: edited' '$tmp/edited.out'"
"$bin" train -c "$config" "${sets[@]}" --set optim.epochs=4 --resume auto > "$tmp/tampered.out" 2>&1
rc=$?
check "a resume on a tampered log is refused before training (exit 1), naming the log" \
  bash -c "test $rc -eq 1 && grep -q '$run/audit.jsonl: ' '$tmp/tampered.out' && ! grep -q '^step ' '$tmp/tampered.out'"
head -n 9 "$tmp/good.jsonl" > "$run/audit.jsonl"; cp "$tmp/good.head" "$run/audit.jsonl.head"
"$bin" audit verify "$run/audit.jsonl" > "$tmp/cut.out" 2>&1; rc=$?
check "a record cut from the end is found by the head (exit 1)" \
  bash -c "test $rc -eq 1 && grep -q 'says the log has 10 records .* the log has 9 .* cut from its end' '$tmp/cut.out'"
cp "$tmp/good.jsonl" "$run/audit.jsonl"; rm "$run/audit.jsonl.head"
"$bin" audit verify "$run/audit.jsonl" > "$tmp/nohead.out" 2>&1; rc=$?
check "a removed head is refused (exit 1)" \
  bash -c "test $rc -eq 1 && grep -q 'no head file' '$tmp/nohead.out'"
finish
