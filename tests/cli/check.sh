# Sourced by the CLI test scripts: a scratch folder removed on exit, and `check NAME COMMAND...`,
# which records a failure when COMMAND fails. End a script with `finish`.
# mpirun as the launchers run it: Open MPI's single copy only where this machine allows it.
if [ -n "${bin:-}" ]; then source "$(dirname "${BASH_SOURCE[0]}")/../../launch/single_copy.sh"; fi
failures=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() {
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}

finish() {
  echo "$(basename "$0"): $failures check(s) failed"
  exit $((failures > 0))
}
