#!/usr/bin/env bash
# Runs pathodino on N MPI ranks of this machine (or of a --hostfile) with Open MPI's mpirun.
#
#   launch/mpirun.sh -n 2 train -c configs/debug/tiny_cpu.yaml [--set KEY=VALUE ...]
#   launch/mpirun.sh -n 8 --gpus train -c configs/pathology/vits16.yaml        # one GPU per rank
#   launch/mpirun.sh -n 16 --hostfile hosts.txt train -c ...                   # several nodes
#
# Options (before the pathodino subcommand):
#   -n N              ranks (default: 2)
#   --oversubscribe   allow more ranks than cores (tests on small machines)
#   --gpus            map ranks by slot and bind each to its NUMA domain (GPU nodes); default on
#                     CPU: no binding, pathodino sets intra-op threads = cores / local ranks
#   --hostfile F      Open MPI hostfile for multi-node runs
# Environment: PATHODINO_BIN (default build/bin/pathodino); PATHODINO_*, OMP_*, NCCL_*, CUDA_*,
# UCX_* and MKL_* variables are passed to every rank. As root (containers, CI) mpirun is allowed
# to run as root. Single-copy shared memory stays on unless this machine forbids it
# (launch/single_copy.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${PATHODINO_BIN:-$repo/build/bin/pathodino}
ranks=2
extra=()
binding=(--bind-to none)
while [ $# -gt 0 ]; do
  case "$1" in
    -n|-np) ranks=$2; shift 2 ;;
    --oversubscribe) extra+=(--oversubscribe); shift ;;
    --gpus) binding=(--map-by slot --bind-to numa); shift ;;
    --hostfile) extra+=(--hostfile "$2"); shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "mpirun.sh: name a pathodino subcommand, e.g. train -c CONFIG" >&2; exit 2; }
[ -x "$bin" ] || { echo "mpirun.sh: $bin is not built (run launch/test.sh or cmake --build build)" >&2; exit 2; }

pass_env=()
for name in $(compgen -e); do
  case "$name" in PATHODINO_*|OMP_*|NCCL_*|CUDA_*|UCX_*|MKL_*) pass_env+=(-x "$name") ;; esac
done
if [ "$(id -u)" = 0 ]; then extra+=(--allow-run-as-root); fi
source "$repo/launch/single_copy.sh"  # OMPI_MCA_* variables reach every rank

exec mpirun -np "$ranks" "${binding[@]}" "${extra[@]}" "${pass_env[@]}" "$bin" "$@"
