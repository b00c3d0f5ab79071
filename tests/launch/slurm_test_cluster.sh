# Sourced by the tests that need a Slurm cluster (test_slurm.sh, test_sweep.sh): skips the test
# (exit 77) unless root, sources ../cli/check.sh (scratch folder $tmp, check, finish), points
# SLURM_CONF at a one-machine cluster under $tmp, and takes that cluster down on exit.
# `slurm_up` starts it (≈ 2 s), or ends the test when it cannot.
[ "$(id -u)" = 0 ] || { echo "skipped: standing up Slurm needs root"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/../cli/check.sh"
cluster="$(dirname "${BASH_SOURCE[0]}")/slurm_local.sh"
export SLURM_LOCAL_DIR=$tmp/slurm SLURM_CONF=$tmp/slurm/etc/slurm.conf
trap '"$cluster" down >/dev/null 2>&1; rm -rf "$tmp"' EXIT

slurm_up() {
  "$cluster" up > "$tmp/up.log" 2>&1 || { cat "$tmp/up.log"; echo "could not start Slurm"; exit 1; }
  tail -1 "$tmp/up.log"
}
