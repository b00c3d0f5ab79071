#!/usr/bin/env bash
# Checkpoint benchmarks on the machine that runs them, numbers for benchmarks/RESULTS.md:
#   (a, b) checkpoint_write: a real vit_small/16 + DINOv2-heads training state (704 MB) saved by
#          2 ranks vs a plain sequential write of the same bytes; async stall under compute;
#   (c)    the trainer itself: 2-rank tiny runs of 24 steps without saves, with a synchronous save
#          every 4 steps and with an async save every 4 steps, interleaved rounds;
#          async stall share = (async run − no-save run) / (sync run − no-save run), and the
#          time the async saves held the training thread up (staging waits, polls, commits) /
#          the synchronous saves' time, from the runs' own checkpoint lines.
#   benchmarks/checkpoint.sh [BUILD_DIR] [ROUNDS] [SCRATCH_DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
rounds=${2:-3}
scratch=${3:-/tmp/pathodino_checkpoint_bench}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$scratch"; mkdir -p "$scratch"

echo "# (a, b) checkpoint_write, vit_small/16 + DINOv2 heads state, 2 ranks"
mpirun -np 2 --bind-to none "$build/bin/checkpoint_write" \
  "$repo/benchmarks/configs/ssl_step_vits16.yaml" "$scratch/write" "$rounds" 20

echo "# (c) trainer: no saves / sync every 4 steps / async every 4 steps (24 steps, 2 ranks)"
run() {  # run NAME EXTRA...
  local name=$1; shift
  mpirun -np 2 --bind-to none "$build/bin/pathodino" train -c "$repo/configs/debug/tiny_cpu.yaml" \
    --set optim.epochs=3 --set optim.iterations_per_epoch=8 --set data.batch_size_per_rank=4 \
    --set run.log_every_steps=24 --set "run.output_dir=$scratch/runs" --set run.name="$name" \
    --overwrite "$@" > "$scratch/$name.out" 2>&1
  sed -n 's/^done: .* in \([0-9.]*\) s,.*/\1/p' "$scratch/$name.out"
}
# Seconds each save held training up ("(X s blocking training)"), the final save (step 24,
# synchronous in both runs) left out.
blocking() { sed -n 's/^checkpoint .*step-000000\([0-9]*\): .* (\([0-9.e-]*\) s blocking training)$/\1 \2/p' "$scratch/$1.out" | awk '$1 != 24 {s += $2} END {print s}'; }
none=() sync=() async=() sync_blocking=() async_blocking=()
for r in $(seq "$rounds"); do
  n=$(run none --set checkpoint.every_steps=0)
  s=$(run sync --set checkpoint.every_steps=4)
  a=$(run async --set checkpoint.every_steps=4 --set checkpoint.async_save=true)
  sb=$(blocking sync) ab=$(blocking async)
  echo "round $r: no saves ${n} s, sync ${s} s, async ${a} s; saves of steps 4-20 held training" \
       "up for ${sb} s (sync) and ${ab} s (async)"
  none+=("$n"); sync+=("$s"); async+=("$a"); sync_blocking+=("$sb"); async_blocking+=("$ab")
done
python3 - "${none[*]}" "${sync[*]}" "${async[*]}" "${sync_blocking[*]}" "${async_blocking[*]}" <<'PY'
import statistics, sys
n, s, a, sb, ab = ([float(x) for x in arg.split()] for arg in sys.argv[1:6])
shares = [(ai - ni) / (si - ni) for ni, si, ai in zip(n, s, a)]
print("per round, extra run time of async saves / of sync saves:",
      " ".join(f"{x:.2f}" for x in shares), f"; median {statistics.median(shares):.2f}")
held = [abi / sbi for sbi, abi in zip(sb, ab)]
print("per round, time async saves held training up / sync saves' time:",
      " ".join(f"{x:.3f}" for x in held), f"; median {statistics.median(held):.3f} (goal <= 0.05)")
PY
