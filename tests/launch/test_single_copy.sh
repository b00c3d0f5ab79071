#!/usr/bin/env bash
# launch/mpirun.sh and Open MPI's single-copy transport, with real mpirun ranks: the ranks see
# btl_vader_single_copy_mechanism=none exactly when the probe next to the binary says the machine
# forbids single copy; a value the user set is kept either way. The "binary" is a script that
# prints what each rank sees, next to a probe that answers as told.
set -uo pipefail
real_probe=$1
root=$2
source "$root/tests/cli/check.sh"
unset OMPI_MCA_btl_vader_single_copy_mechanism
mkdir -p "$tmp/bin"
cat > "$tmp/bin/pathodino" <<'SH'
#!/usr/bin/env bash
echo "rank ${OMPI_COMM_WORLD_RANK}: [${OMPI_MCA_btl_vader_single_copy_mechanism:-}]"
SH
chmod +x "$tmp/bin/pathodino"
probe() { printf '#!/bin/sh\necho %s\nexit %s\n' "$1" "$2" > "$tmp/bin/single_copy_probe"; chmod +x "$tmp/bin/single_copy_probe"; }
ranks() { PATHODINO_BIN=$tmp/bin/pathodino "$root/launch/mpirun.sh" -n 2 --oversubscribe run 2>&1 | sort; }

probe cma 0
out=$(ranks); echo "$out"
check "probe says yes: both ranks keep Open MPI's default (single copy on)" \
  test "$out" = $'rank 0: []\nrank 1: []'
probe "none: process_vm_readv: Operation not permitted" 1
out=$(ranks); echo "$out"
check "probe says no: both ranks run with single copy off" \
  test "$out" = $'rank 0: [none]\nrank 1: [none]'
out=$(OMPI_MCA_btl_vader_single_copy_mechanism=cma ranks); echo "$out"
check "a value the user set wins over the probe" test "$out" = $'rank 0: [cma]\nrank 1: [cma]'
out=$("$real_probe" 2>&1; echo "rc=$?")
echo "$out"
check "the real probe answers cma (exit 0) or none with a reason (exit 1)" \
  bash -c '[[ "$1" =~ ^cma$'"'"'\n'"'"'rc=0$ || "$1" =~ ^none:\ .+rc=1$ ]]' _ "$out"
finish
