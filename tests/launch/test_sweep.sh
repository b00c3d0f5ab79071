#!/usr/bin/env bash
# `pathodino sweep`, for real:
#   plan: a sweep with an invalid combination is refused (exit 2) naming every refused run and its
#   key, and writes nothing; a valid one writes a resolved config per run;
#   --local: a 1-run sweep runs here with mpirun;
#   submit: a 4-run sweep (2 x 2 grid of the tiny config, 2 MPI ranks per run) as a job array on a
#   one-machine Slurm cluster (slurm_local.sh), every task an srun --mpi=pmix job;
#   report: 4 rows with loss and kNN for every run, in Markdown and CSV, and a PNG plot.
# Needs root (slurmctld/slurmd/munge). Takes the cluster down on exit.
set -uo pipefail
bin=$1
root=$2
source "$(dirname "$0")/slurm_test_cluster.sh"

small='{optim.epochs: 1, optim.iterations_per_epoch: 6, optim.warmup_epochs: 0,
        ssl.teacher.warmup_temp_epochs: 0, data.batch_size_per_rank: 4,
        data.synthetic.images_per_class: 16, eval.knn_every_steps: 3}'
cat > "$tmp/refused.yaml" <<YML
base: $root/configs/debug/tiny_cpu.yaml
name: refused
output_dir: $tmp/sweeps
grid:
  optim.base_lr: [0.001, -1.0]
  ssl.koleo.loss_weight: [0.0, 0.1]
YML
"$bin" sweep plan "$tmp/refused.yaml" > "$tmp/refused.out" 2>&1; rc=$?
cat "$tmp/refused.out"
check "a sweep with invalid runs is refused (exit 2)" test $rc -eq 2
check "the refusal names both bad runs and the key" bash -c "
  grep -q '2 of 4 run(s) refused' '$tmp/refused.out' && grep -q 'run refused-02 (optim.base_lr=-1.0' '$tmp/refused.out' &&
  grep -q 'run refused-03' '$tmp/refused.out' && grep -q 'optim.base_lr: out of range' '$tmp/refused.out'"
check "a refused sweep writes nothing" test ! -e "$tmp/sweeps/refused"

cat > "$tmp/local.yaml" <<YML
base: $root/configs/debug/tiny_cpu.yaml
name: local
output_dir: $tmp/sweeps
ranks: 2
set: $small
runs: [{optim.base_lr: 0.002}]
YML
"$bin" sweep submit --local "$tmp/local.yaml"; rc=$?
check "--local runs the sweep here with mpirun" bash -c "test $rc -eq 0 &&
  grep -q 'done: 6 steps .* over 2 rank(s)' '$tmp/sweeps/local/logs/local-00.out'"

cat > "$tmp/grid.yaml" <<YML
base: $root/configs/debug/tiny_cpu.yaml
name: grid
output_dir: $tmp/sweeps
ranks: 2
set: $small
grid:
  optim.base_lr: [0.001, 0.004]
  ssl.koleo.loss_weight: [0.0, 0.1]
slurm: {cpus_per_task: 1, time: "00:10:00"}
YML
"$bin" sweep plan "$tmp/grid.yaml"; rc=$?
check "plan writes a resolved config per run" bash -c "test $rc -eq 0 &&
  test \$(ls '$tmp'/sweeps/grid/runs/*/config.yaml | wc -l) -eq 4 &&
  grep -q 'base_lr: 0.004' '$tmp/sweeps/grid/runs/grid-03/config.yaml' &&
  grep -q 'name: grid-03' '$tmp/sweeps/grid/runs/grid-03/config.yaml'"

slurm_up
start=$(date +%s)
"$bin" sweep submit --wait "$tmp/grid.yaml"; rc=$?
echo "job array took $(( $(date +%s) - start )) s"
sed -n '1,12p' "$tmp/sweeps/grid/sweep.sbatch"
job=$(cat "$tmp/sweeps/grid/slurm_job_id" 2>/dev/null)
check "submit: sbatch accepted the job array and every task succeeded" test $rc -eq 0 -a -n "$job"
check "one log per array task, each a 2-rank run" bash -c "
  test \$(ls '$tmp'/sweeps/grid/logs/pathodino-grid-${job}_*.out | wc -l) -eq 4 &&
  test \$(grep -l 'done: 6 steps .* over 2 rank(s)' '$tmp'/sweeps/grid/logs/pathodino-grid-${job}_*.out | wc -l) -eq 4"

"$bin" sweep report "$tmp/grid.yaml"; rc=$?
check "report: exit 0" test $rc -eq 0
check "report.csv: 4 runs, all done, with final loss and kNN" python3 -c "
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print([(r['run'], r['optim.base_lr'], r['ssl.koleo.loss_weight'], r['final_loss'], r['final_knn_top1']) for r in rows])
ok = len(rows) == 4 and all(r['status'] == 'done' and r['steps'] == '6' for r in rows)
ok &= all(float(r['final_loss']) > 0 and 0 <= float(r['final_knn_top1']) <= 1 and 0 <= float(r['best_knn_top1']) <= 1 for r in rows)
ok &= sorted((r['optim.base_lr'], r['ssl.koleo.loss_weight']) for r in rows) == [('0.001', '0.0'), ('0.001', '0.1'), ('0.004', '0.0'), ('0.004', '0.1')]
sys.exit(not ok)" "$tmp/sweeps/grid/report.csv"
check "report.md: a table row per run" test "$(grep -c '^| grid-0[0-3] |' "$tmp/sweeps/grid/report.md")" -eq 4
check "knn.png: a PNG image of 960 x 600" python3 -c "
import struct, sys
data = open(sys.argv[1], 'rb').read()
sys.exit(not (data[:8] == b'\x89PNG\r\n\x1a\n' and struct.unpack('>II', data[16:24]) == (960, 600)))" "$tmp/sweeps/grid/knn.png"
finish
