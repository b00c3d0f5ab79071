#!/usr/bin/env bash
# The Slurm templates, for real: stands up a one-machine Slurm cluster (slurm_local.sh, Slurm 22.05
# from Debian), submits launch/slurm/single_node.sbatch with the tiny config on 2 tasks — once with
# srun --mpi=pmix, once with mpirun inside the allocation — and multi_node.sbatch on its one node,
# waits, and asserts that each job succeeded and both ranks trained; then a job whose config is
# refused must end FAILED. Takes the
# cluster down on exit. Needs root (slurmctld/slurmd/munge).
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/slurm_test_cluster.sh"
export PATHODINO_BIN=$bin
slurm_up

small=(--set optim.epochs=2 --set optim.iterations_per_epoch=3 --set data.batch_size_per_rank=2
       --set data.synthetic.images_per_class=8 --set "run.output_dir=$tmp/runs")
cd "$root"
for launcher in srun mpirun; do
  PATHODINO_LAUNCHER=$launcher sbatch --wait --ntasks-per-node=2 --cpus-per-task=1 \
    -o "$tmp/$launcher-%j.out" launch/slurm/single_node.sbatch configs/debug/tiny_cpu.yaml \
    "${small[@]}" --set "run.name=$launcher" > "$tmp/$launcher.submit" 2>&1; rc=$?
  out=$(ls "$tmp/$launcher"-*.out 2>/dev/null | head -1)
  [ -n "$out" ] && tail -3 "$out"
  check "$launcher job succeeded" test $rc -eq 0
  check "$launcher: output file named by job id" test -n "$out"
  check "$launcher: 2 tasks" grep -q "2 task(s)" "$out"
  check "$launcher: rank 0 finished the run over 2 ranks" grep -q "done: 6 steps (0 skipped) .* over 2 rank(s)" "$out"
  check "$launcher: rank 1 trained to rank 0's parameters" grep -q "rank 1: done: 6 steps, parameters equal" "$out"
  check "$launcher: teacher exported" test -s "$tmp/runs/$launcher/teacher_backbone.safetensors"
done

# The multi-node template, on the one node there is (no GPUs here: --gpus-per-task=0).
sbatch --wait --nodes=1 --ntasks-per-node=2 --cpus-per-task=1 --gpus-per-task=0 \
  -o "$tmp/multi-%j.out" launch/slurm/multi_node.sbatch configs/debug/tiny_cpu.yaml \
  "${small[@]}" --set run.name=multi > "$tmp/multi.submit" 2>&1; rc=$?
check "multi-node template job succeeded" test $rc -eq 0
check "multi-node template: both ranks trained" grep -q "rank 1: done: 6 steps, parameters equal" "$tmp"/multi-*.out

# A failing step fails the job: the config is refused on every rank (exit 2).
sbatch --wait --ntasks-per-node=2 --cpus-per-task=1 -o "$tmp/bad-%j.out" \
  launch/slurm/single_node.sbatch configs/debug/tiny_cpu.yaml "${small[@]}" \
  --set run.name=bad --set optim.base_lr=-1.0 > "$tmp/bad.submit" 2>&1; rc=$?
job=$(grep -o '[0-9]*' "$tmp/bad.submit" | head -1)
state=$(sacct -n -X -j "$job" -o State 2>/dev/null | tr -d ' ' || true)
[ -n "$state" ] || state=$(grep -o "JobState=[A-Z]*" <(scontrol show job "$job" 2>/dev/null) | cut -d= -f2)
echo "refused job $job: sbatch exit $rc, state ${state:-unknown}"
check "a refused config fails the job" test $rc -ne 0
check "the job output names the key" grep -q "optim.base_lr" "$tmp"/bad-*.out
finish
