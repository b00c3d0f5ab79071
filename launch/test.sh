#!/usr/bin/env bash
# The README's test command: installs what is missing (launch/setup.sh), builds, runs every test
# but those labelled `long` (what CI runs, within its time).
#   launch/test.sh [ctest arguments...]      e.g. launch/test.sh -L mpi; -L long for the long ones
# Warm machine, nothing changed: seconds. PATHODINO_BUILD_DIR overrides the build folder (build/).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${PATHODINO_BUILD_DIR:-$repo/build}

"$repo/launch/setup.sh"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$repo" -B "$build" -G Ninja
fi
start=$(date +%s)
cmake --build "$build" --parallel "$(nproc)"
echo "[test] build: $(( $(date +%s) - start )) s"
cd "$build"
(( $# > 0 )) || set -- -LE long
ctest --output-on-failure --parallel "$(nproc)" "$@"
