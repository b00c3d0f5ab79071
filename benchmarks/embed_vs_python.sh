#!/usr/bin/env bash
# `pathodino embed` against the same job in Python (benchmarks/embed_python.py: openslide-python +
# torchvision + a torch DataLoader with worker processes + timm, same backbone file, same tiles),
# rounds interleaved on the same machine: tiles/s of each from the first tile read to the last
# feature (pathodino's own progress line; Python's loop, DataLoader start included, imports and
# model building not), the whole pathodino command's too, and the ratio. Synthetic slides, 224 px tiles at 0.5 µm/px, a random vit_tiny/16
# at 64 px (the demo's model) unless BACKBONE is given.
#   benchmarks/embed_vs_python.sh BUILD_DIR [ROUNDS=3] [SLIDES=8] [BACKBONE]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$1 rounds=${2:-3} slides=${3:-8} backbone=${4:-}
python=$("$repo/benchmarks/python_env.sh")
bin="$build/bin/pathodino"
config="$repo/configs/debug/tiny_wsi.yaml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" synth --out "$work/slides" --slides "$slides" --width 4096 --height 3072 --seed 5 > /dev/null
"$bin" index --slides "$work/slides/manifest.csv" --out "$work/tiles.pdidx" --target-mpp 0.5 \
  --tile-size 224 --no-qa | grep ' tiles -> '
if [ -z "$backbone" ]; then
  backbone="$work/backbone.safetensors"
  "$bin" export --init vit_tiny_patch16 --seed 0 --img-size 64 --layerscale-init 0 \
    --out "$backbone" > /dev/null
fi
ratios=()
for round in $(seq 1 "$rounds"); do
  rm -rf "$work/features"
  start=$(date +%s.%N)
  "$bin" embed -c "$config" --index "$work/tiles.pdidx" --backbone "$backbone" \
    --out "$work/features" > "$work/embed.out"
  command_s=$(python3 -c "print($(date +%s.%N) - $start)")
  tiles=$(awk -F, 'NR > 1 { s += $3 } END { print s }' "$work/features/manifest.csv")
  cpp=$(grep -E '^\[embed\] rank 0 slide' "$work/embed.out" | tail -1 | grep -Eo '[0-9.]+ tiles/s' | cut -d' ' -f1)
  py=$("$python" "$repo/benchmarks/embed_python.py" "$work/features" "$work/slides" "$backbone")
  read -r command py_rate ratio diff <<< "$(python3 -c "
import json; p = json.loads('$py')
print(f'{$tiles / $command_s:.1f} {p[\"tiles_per_second\"]:.1f} {$cpp / p[\"tiles_per_second\"]:.2f} {p[\"max_abs_difference\"]:.1e}')")"
  ratios+=("$ratio")
  echo "round $round: $tiles tiles; pathodino embed $cpp tiles/s ($command with process start and backbone load), Python $py_rate tiles/s: ${ratio}x (largest feature difference $diff)"
done
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'median ratio pathodino / Python: {statistics.median(r):.2f}x')" "${ratios[@]}"
