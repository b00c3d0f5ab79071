#!/usr/bin/env bash
# Data-parallel benchmarks on the machine that runs them, numbers for benchmarks/RESULTS.md:
#   (a) bucketed all-reduce (GradientReducer) vs raw MPI_Allreduce of the same bytes, 2 ranks;
#   (b) weak scaling: full SSL steps, 1 rank vs 2 ranks, 1 intra-op thread per rank, same per-rank
#       batch, interleaved rounds; efficiency = 2-rank images/s / (2 × 1-rank images/s);
#   (c) share of the all-reduce time hidden behind backward (2 ranks, from the reducer's timeline);
#   and the machine's own ceiling for (b): two independent 1-rank processes at once, no
#   communication at all (2 cores share memory bandwidth and caches).
#   benchmarks/data_parallel.sh [BUILD_DIR] [ROUNDS] [STEPS] [WARMUP]
# WARMUP steps (default 3) are run and not counted, alike in every configuration: a process's first
# steps fault in its ~2.7 GB of heap, and on a 2-core VM two ranks doing that at once pay 6-7 s of
# kernel time instead of 1 s (page clearing; the 2-rank steps 0-1 took 7-9 s instead of 3.5 s).
# Open MPI's single copy is on where the machine allows it (launch/single_copy.sh, as in training);
# OMPI_MCA_btl_vader_single_copy_mechanism=none in the environment measures it off.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
rounds=${2:-2}
steps=${3:-6}
warmup=${4:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bin=$build/bin/pathodino
source "$repo/launch/single_copy.sh"  # single copy on where the machine allows it, as in training
echo "# Open MPI single copy: ${OMPI_MCA_btl_vader_single_copy_mechanism:-default (on)}"
run() { mpirun -np "$1" --bind-to none "${@:2}"; }

echo "# (a) all-reduce bandwidth, vit_small/16 + DINOv2 heads gradients"
run 2 "$build/bin/allreduce_bandwidth" "$repo/benchmarks/configs/ssl_step_vits16.yaml" 15

echo "# (b, c) weak scaling and hidden all-reduce"
step=("$build/bin/data_parallel_step" "$repo/benchmarks/configs/dp_step_vits16.yaml" "$steps" "$warmup" 1)
one=() two=() pair=()
for r in $(seq "$rounds"); do
  a=$(run 1 "${step[@]}")
  b=$(run 2 "${step[@]}")
  run 1 "${step[@]}" > "/tmp/pd_pair_$$" & c=$(run 1 "${step[@]}"); wait; c2=$(cat "/tmp/pd_pair_$$")
  echo "round $r: $a"; echo "round $r: $b"; echo "round $r (independent pair): $c | $c2"
  one+=("$a"); two+=("$b"); pair+=("$c" "$c2")
done
rm -f "/tmp/pd_pair_$$"
python3 - "$rounds" "${one[@]}" "${two[@]}" "${pair[@]}" <<'PY'
import json, sys
n = int(sys.argv[1])
rows = [json.loads(a) for a in sys.argv[2:]]
one, two, pair = rows[:n], rows[n:2 * n], rows[2 * n:]
for i in range(n):
    a, b, c = one[i], two[i], pair[2 * i: 2 * i + 2]
    ceiling = sum(x['images_per_s'] for x in c) / (2 * a['images_per_s'])
    print(f"round {i + 1}: 1 rank {a['images_per_s']:.3f} img/s, 2 ranks {b['images_per_s']:.3f} img/s,"
          f" efficiency {b['images_per_s'] / (2 * a['images_per_s']):.3f} (ceiling: two independent"
          f" processes {ceiling:.3f}), all-reduce transfer {b['allreduce_busy_s']:.3f} s,"
          f" exposed {b['exposed_s']:.3f} s, hidden {b['hidden_share']:.3f}")
single = sum(a['images_per_s'] for a in one)
eff = sum(b['images_per_s'] for b in two) / (2 * single)
ceiling = sum(c['images_per_s'] for c in pair) / (2 * single)
print(f"over {n} round(s): weak-scaling efficiency {eff:.3f}; two independent processes {ceiling:.3f};"
      f" efficiency relative to that ceiling {eff / ceiling:.3f};"
      f" hidden share (median) {sorted(b['hidden_share'] for b in two)[n // 2]:.3f}")
PY
