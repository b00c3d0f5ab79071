# Sourced by the launchers (mpirun.sh, the Slurm templates, the tests) after they set $bin:
# leaves Open MPI's single-copy shared-memory transport (CMA) on where it works — it halves the
# all-reduce's copying and, with both cores training, its CPU time (benchmarks/RESULTS.md, "Data parallel over MPI")
# — and turns it off where the machine forbids it (containers: seccomp, ptrace rules), where Open
# MPI would otherwise abort at the first large message. A value already in the environment wins.
if [ -z "${OMPI_MCA_btl_vader_single_copy_mechanism:-}" ]; then
  single_copy_probe=$(dirname "$bin")/single_copy_probe
  if [ -x "$single_copy_probe" ] && ! "$single_copy_probe" > /dev/null 2>&1; then
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
  fi
fi
