#!/usr/bin/env bash
# ZeRO-1 vs plain data parallel on 2 ranks: the same vit_small/16 step as the weak-scaling
# benchmark (benchmarks/data_parallel.sh), 1 intra-op thread per rank, rounds interleaved so both
# see the same machine. Reports each one's step time, the time after backward's gradient buckets
# (clipping, AdamW, ZeRO-1's parameter all-gather, EMA) and the ratio of images/s.
#   benchmarks/zero1.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
rounds=${2:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
bin=$build/bin/pathodino
source "$repo/launch/single_copy.sh"  # single copy on where the machine allows it, as in training
echo "# Open MPI single copy: ${OMPI_MCA_btl_vader_single_copy_mechanism:-default (on)}"
run() { mpirun -np 2 --bind-to none "$build/bin/data_parallel_step" "$repo/benchmarks/configs/$1" 3 1 1; }
rows=()
for r in $(seq "$rounds"); do
  plain=$(run dp_step_vits16.yaml)
  zero=$(run dp_step_vits16_zero1.yaml)
  echo "round $r plain:  $plain"
  echo "round $r ZeRO-1: $zero"
  rows+=("$plain" "$zero")
done
python3 - "${rows[@]}" <<'PY'
import json, sys
rows = [json.loads(a) for a in sys.argv[1:]]
for i in range(0, len(rows), 2):
    p, z = rows[i], rows[i + 1]
    print(f"round {i // 2 + 1}: plain {p['step_s']:.3f} s/step (after backward {p['after_backward_s']:.3f} s), "
          f"ZeRO-1 {z['step_s']:.3f} s/step (after backward {z['after_backward_s']:.3f} s), "
          f"ZeRO-1 / plain images/s {z['images_per_s'] / p['images_per_s']:.3f}")
PY
