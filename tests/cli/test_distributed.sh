#!/usr/bin/env bash
# `pathodino train` on several MPI ranks as a user launches it (launch/mpirun.sh), and the failure
# behaviour a cluster user relies on: a stalled rank aborts the job with a report instead of a
# hang, a killed rank takes the whole job down quickly, and ranks with different configs refuse to
# start.
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/check.sh"
export PATHODINO_BIN=$bin
run=("$root/launch/mpirun.sh")
config="$root/configs/debug/tiny_cpu.yaml"
small=(--set data.batch_size_per_rank=2 --set data.synthetic.images_per_class=8
       --set run.log_every_steps=1 --set "run.output_dir=$tmp/runs")
short=(--set optim.epochs=2 --set optim.iterations_per_epoch=3 --set optim.warmup_epochs=1)
long=(--set optim.epochs=200 --set optim.iterations_per_epoch=10)

# pid of rank R of the job whose command line mentions run name NAME.
rank_pid() {
  local name=$1 rank=$2 p
  for p in $(pgrep -f "run.name=$name"); do
    tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$rank" && { echo "$p"; return; }
  done
}

# Waits until the run's metrics log has N rows (rank 0 writes one per step).
wait_rows() {
  local file=$1 n=$2
  for _ in $(seq 600); do
    [ "$(cat "$file" 2>/dev/null | wc -l)" -ge "$n" ] && return 0
    sleep 0.1
  done
  return 1
}

# Starts a long 2-rank run NAME (extra --set arguments after SIGNAL), waits until it has logged 3
# steps, sends SIGNAL to rank 1 and waits for the job. Sets victim, rc (the job's exit status) and
# took (seconds from the signal to the job's end); output in $tmp/NAME.out.
signal_rank1() {
  local name=$1 signal=$2 job start; shift 2
  "${run[@]}" -n 2 train -c "$config" "${small[@]}" "${long[@]}" --set "run.name=$name" "$@" \
    > "$tmp/$name.out" 2>&1 &
  job=$!
  wait_rows "$tmp/runs/$name/metrics.jsonl" 3
  victim=$(rank_pid "$name" 1)
  check "found rank 1 of the $name job" test -n "$victim"
  start=$(date +%s.%N)
  kill "-$signal" "$victim"
  wait $job; rc=$?
  took=$(echo "$(date +%s.%N) - $start" | bc)
}

# 1. Two ranks train; both finish with identical parameters.
"${run[@]}" -n 2 train -c "$config" "${small[@]}" "${short[@]}" --set run.name=two > "$tmp/two.out" 2>&1; rc=$?
tail -4 "$tmp/two.out"
check "2-rank run exits 0" test $rc -eq 0
check "global batch is 2 ranks x 2" grep -q "6 steps of 4 images (2 rank(s) x 1 micro-batch(es) x 2)" "$tmp/two.out"
check "rank 1 trained to rank 0's parameters" grep -q "rank 1: done: 6 steps, parameters equal to rank 0's" "$tmp/two.out"
check "rank 0 wrote 6 log rows" test "$(wc -l < "$tmp/runs/two/metrics.jsonl")" -eq 6

# 2. A stalled rank (SIGSTOP: alive, silent) → the collective times out, the job aborts with exit 4
#    naming the operation, the step and the rank, well before the run would have ended.
signal_rank1 stall STOP --set distributed.timeout_s=4
grep -A4 "collective timed out" "$tmp/stall.out" | head -6
echo "stall: exit $rc after ${took} s"
check "stall exits 4" test $rc -eq 4
check "stall aborts within timeout + 20 s" test "$(echo "$took < 24" | bc)" -eq 1
check "report names the collective and the step" grep -Eq "collective timed out on rank 0 after [0-9.]+ s \(distributed.timeout_s\): .+ at step [0-9]+ \(collective #[0-9]+\)" "$tmp/stall.out"
check "report names rank 1 as not arrived" grep -q "ranks that did not arrive: 1" "$tmp/stall.out"
kill -KILL "$victim" 2>/dev/null

# 3. A rank killed with SIGKILL → the whole job exits non-zero within 30 s.
signal_rank1 kill KILL
echo "kill: exit $rc after ${took} s"
check "killed rank: job exits non-zero" test $rc -ne 0
check "killed rank: job ends within 30 s" test "$(echo "$took < 30" | bc)" -eq 1
check "no rank of the killed job is left" test -z "$(pgrep -f run.name=kill)"

# 4. Different configs on the ranks (one rank got another --set) → refused before any work.
mpirun_args=(--allow-run-as-root --oversubscribe --bind-to none)
[ "$(id -u)" = 0 ] || mpirun_args=(--oversubscribe --bind-to none)
mpirun "${mpirun_args[@]}" -np 1 "$bin" train -c "$config" "${small[@]}" "${short[@]}" --set run.name=mix : \
  -np 1 "$bin" train -c "$config" "${small[@]}" "${short[@]}" --set run.name=mix --set optim.base_lr=0.001 \
  > "$tmp/mix.out" 2>&1; rc=$?
cat "$tmp/mix.out" | grep -v "^---\|^ *$" | head -3
check "mismatched configs exit 2" test $rc -eq 2
check "mismatch names the rank" grep -q "the resolved config .* differs across ranks: rank 0 has [0-9a-f]*, but rank 1" "$tmp/mix.out"
check "mismatch leaves no run folder" test ! -e "$tmp/runs/mix"

# 5. A config valid on rank 0 but not on rank 1 → exit 2 naming rank 1 and its problem.
mpirun "${mpirun_args[@]}" -np 1 "$bin" train -c "$config" "${small[@]}" "${short[@]}" --set run.name=bad1 : \
  -np 1 "$bin" train -c "$config" "${small[@]}" "${short[@]}" --set run.name=bad1 --set optim.base_lr=-1.0 \
  > "$tmp/bad1.out" 2>&1; rc=$?
check "a config refused on one rank exits 2" test $rc -eq 2
check "the refusal names the rank and the key" bash -c "grep -A3 'rank 1: invalid config' '$tmp/bad1.out' | grep -q optim.base_lr"
check "rank 0 reports which ranks refused" grep -q "the config was refused on rank(s) 1; nothing was run" "$tmp/bad1.out"
finish
