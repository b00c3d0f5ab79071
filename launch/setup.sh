#!/usr/bin/env bash
# Installs everything pathodino needs on a fresh Debian 12 machine; a second run on a warm machine
# does no network work and takes seconds.
#
#   launch/setup.sh            Debian packages + the Python environment that provides LibTorch
#
# The Python environment lives outside the work tree, keyed by the hash of launch/requirements.txt,
# so fresh clones on the same machine (CI clones main afresh) reuse it; `.venv` in the repo is a
# symlink to it. Override the location with PATHODINO_CACHE.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${PATHODINO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pathodino}

apt_packages=(
  build-essential cmake ninja-build pkg-config ccache clang-format
  openmpi-bin libopenmpi-dev
  libopenslide-dev libtiff-dev libtiff-tools libjpeg62-turbo-dev libpng-dev libvips-tools
  libyaml-cpp-dev libcivetweb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libxxhash-dev libssl-dev
  prometheus
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
key=$(sha256sum "$req" | cut -c1-16)
venv="$cache/venv-$key"
if [ ! -f "$venv/.pathodino-ready" ]; then
  log "creating Python environment $venv (torch wheel with LibTorch; a few GB, once per machine)"
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  start=$(date +%s)
  "$venv/bin/pip" install --quiet -r "$req"
  "$venv/bin/python" -c 'import torch; print("[setup] torch", torch.__version__, "cuda", torch.version.cuda)'
  log "Python environment ready in $(( $(date +%s) - start )) s ($(du -sh "$venv" | cut -f1))"
  touch "$venv/.pathodino-ready"
else
  log "Python environment: $venv"
fi
ln -sfn "$venv" "$repo/.venv"
