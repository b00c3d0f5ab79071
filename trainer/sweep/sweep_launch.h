// Running a planned sweep: `pathodino sweep submit` writes <sweep_dir>/sweep.sbatch — a Slurm job
// array, one task per run, each an MPI job of the sweep's rank count started with
// `srun --mpi=pmix`, resuming its run when requeued (--resume auto) — and submits it with sbatch;
// `--local` runs the runs one after another here with mpirun instead. Logs: <sweep_dir>/logs/.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "trainer/sweep/sweep_plan.h"

namespace pathodino::sweep {

// The job array script for `plan`, training with the pathodino executable `bin`.
std::string slurm_array_script(const SweepPlan& plan, const std::filesystem::path& bin);

// Writes the script and submits it (sbatch --parsable [--wait]); returns sbatch's exit status.
// The job id goes to `out` and to <sweep_dir>/slurm_job_id.
int submit_to_slurm(const SweepPlan& plan, const std::filesystem::path& bin, bool wait,
                    std::ostream& out);

// Runs every run in order with mpirun -np <ranks> (directly when ranks is 1); a failed run is
// reported and the next one starts. Returns the number of runs that failed.
int run_locally(const SweepPlan& plan, const std::filesystem::path& bin, std::ostream& out);

}  // namespace pathodino::sweep
