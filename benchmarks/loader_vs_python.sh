#!/usr/bin/env bash
# Loader throughput per thread, C++ vs Python, same tiles, same work, rounds interleaved:
# build/bin/loader_throughput (index → fast path / OpenSlide → DINOv2 multi-crop → batch buffers)
# against benchmarks/loader_python.py (openslide-python + torchvision doing the same).
#   benchmarks/loader_vs_python.sh BUILD_DIR INDEX [ROUNDS=3]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$1 index=$2 rounds=${3:-3}
python=$("$repo/benchmarks/python_env.sh")
tiles=$(mktemp --suffix=.csv)
trap 'rm -f "$tiles"' EXIT
rate() { python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["images_per_second"])'; }
ratios=()
for round in $(seq 1 "$rounds"); do
  cpp=$("$build/bin/loader_throughput" --index "$index" --batches 8 --tiles-out "$tiles" | rate)
  cpp_openslide=$("$build/bin/loader_throughput" --index "$index" --batches 8 --no-fast-path | rate)
  py=$("$python" "$repo/benchmarks/loader_python.py" "$tiles" | rate)
  ratio=$(python3 -c "print(f'{$cpp / $py:.2f}')")
  ratios+=("$ratio")
  echo "round $round: C++ $cpp img/s (OpenSlide only: $cpp_openslide), Python $py img/s: ${ratio}x"
done
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'median ratio C++ / Python per thread: {statistics.median(r):.2f}x')" "${ratios[@]}"
