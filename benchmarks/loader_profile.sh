#!/usr/bin/env bash
# Where one loader thread's time goes: the per-stage table (build/bin/loader_stages, each stage
# against its limit) and a perf flame graph of the loader itself on the same index.
#   benchmarks/loader_profile.sh BUILD_DIR INDEX OUT.svg
# perf needs perf_event_paranoid <= 2 (user-space sampling of one's own process).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$1 index=$2 svg=$3
data=$(mktemp)
trap 'rm -f "$data"' EXIT
"$build/bin/loader_stages" --index "$index" --images 64
perf record -q -F 999 --call-graph dwarf,16384 -o "$data" \
  "$build/bin/loader_throughput" --index "$index" --batches 8 > /dev/null
perf script -i "$data" 2> /dev/null |
  python3 "$repo/benchmarks/flamegraph.py" \
    "loader_throughput: one thread, DINOv2 multi-crop (2 x 224 + 8 x 96), perf with DWARF stacks" \
  > "$svg"
echo "flame graph: $svg"
