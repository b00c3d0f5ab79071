#!/usr/bin/env bash
# A Python for the loader reference: the project's torch environment (launch/setup.sh) plus
# torchvision (the release paired with the pinned torch) and openslide-python (on Debian's
# libopenslide), in a separate venv that sees the torch venv's packages, so the pinned one stays as
# setup.sh made it. Prints the interpreter's path; idempotent.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
torch_python="$repo/.venv/bin/python"
torch_site=$("$torch_python" -c 'import site; print(site.getsitepackages()[0])')
bench=${PATHODINO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pathodino}/bench-venv
packages=(torchvision==0.26.0 openslide-python==1.4.7 pillow)
if [ ! -x "$bench/bin/python" ]; then
  "$torch_python" -m venv --without-pip "$bench" >&2 || python3 -m venv "$bench" >&2
fi
bench_site=$("$bench/bin/python" -c 'import site; print(site.getsitepackages()[0])')
echo "$torch_site" > "$bench_site/pathodino-torch.pth"
if ! "$bench/bin/python" -c 'import torchvision, openslide, PIL' 2>/dev/null; then
  "$torch_python" -m pip install -q --no-deps --target "$bench_site" "${packages[@]}" >&2
fi
echo "$bench/bin/python"
