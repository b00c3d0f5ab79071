#!/usr/bin/env bash
# Installs everything pathodino needs on a fresh Debian 12 machine; a second run on a warm machine
# does no network work and takes seconds.
#
#   launch/setup.sh            Debian packages + the Python environment that provides LibTorch
#
# The Python environment lives outside the work tree, one per pinned torch version, so fresh clones
# on the same machine (CI clones main afresh) reuse it; `.venv` in the repo is a symlink to it. A
# changed requirements.txt is installed into it incrementally. Override the location with
# PATHODINO_CACHE.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PATHODINO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pathodino}

apt_packages=(
  build-essential cmake ninja-build pkg-config ccache clang-format
  openmpi-bin libopenmpi-dev
  libopenslide-dev libtiff-dev libtiff-tools libjpeg62-turbo-dev libturbojpeg0-dev libpng-dev libvips-tools
  libyaml-cpp-dev libcpp-httplib-dev libgoogle-perftools-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libxxhash-dev libssl-dev
  openssl xxd  # the signature tests cross-check Ed25519 with the openssl command
  prometheus prometheus-pushgateway libcairo2-dev libhdf5-dev libfaiss-dev chromium
  libopenblas0-openmp  # the BLAS Faiss finds: OpenBLAS, not the reference one (~40x on k-means)
  libdcmtk-dev dcmtk  # DICOM reading; the tests write their files with DCMTK's own tools
  slurmctld slurmd slurm-client munge bc
  python3-venv
)

log() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "Debian packages: all ${#apt_packages[@]} present"
fi

req="$repo/launch/requirements.txt"
req_no_deps="$repo/launch/requirements-no-deps.txt"
torch_pin=$(grep -E '^torch==' "$req" | cut -d= -f3)
want=$(cat "$req" "$req_no_deps" | sha256sum | cut -c1-16)
venv="$cache/venv-torch-$torch_pin"
stamp="$venv/.pathodino-requirements"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  start=$(date +%s)
  if [ ! -x "$venv/bin/python" ]; then
    log "creating Python environment $venv (torch $torch_pin with LibTorch: ~2.7 GB download, once per machine)"
    mkdir -p "$cache"
    python3 -m venv "$venv"
  else
    log "updating Python environment $venv to launch/requirements.txt"
  fi
  "$venv/bin/python" -m pip install --quiet -r "$req"
  # Packages whose own pins would replace ours (dinov2 pins torch 2.0): installed without them.
  "$venv/bin/python" -m pip install --quiet --no-deps -r "$req_no_deps"
  "$venv/bin/python" -c 'import torch; print("[setup] torch", torch.__version__, "cuda", torch.version.cuda)'
  log "Python environment ready in $(( $(date +%s) - start )) s ($(du -sh "$venv" | cut -f1))"
  echo "$want" > "$stamp"
else
  log "Python environment: $venv"
fi
ln -sfn "$venv" "$repo/.venv"
