// `pathodino train --config F [--set KEY=VALUE …] [--overwrite] [--resume auto|PATH]
// [--no-report]`: one pretraining run (or its continuation from a checkpoint, on any number of
// ranks), on one process or on every rank of an MPI job (mpirun, srun --mpi=pmix), then its run
// report (report/run_report.h) from rank 0. Exit codes: 0 done, 1 runtime error, 2 config refused
// (on any rank, or different across ranks), 3 diverged, 4 a collective timed out (the job is
// aborted by the stall watchdog).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <optional>

#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/config/config_issue.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/report/run_report.h"
#include "trainer/system/cpu_share.h"
#include "trainer/train/nonfinite_guard.h"
#include "trainer/train/ssl_trainer.h"

namespace pathodino::cli {
namespace {

struct TrainArgs : ConfigArgs {
  bool overwrite = false;
  bool no_report = false;
  std::string resume;
};

// The report rank 0 writes after a finished run. A run without a kNN monitor asked for no
// evaluation, so its report has plots and the card without scoring anything (seeds 0).
struct ReportJob {
  std::filesystem::path run_dir;
  std::optional<int64_t> seeds;  // nullopt: the run's eval.report_seeds
};

// Runs after MPI is finalized, so the other ranks have exited and this process may use every
// core. A report that fails leaves the finished run as it is: the error is printed, with the
// command that writes the report again.
void write_report_after_run(const ReportJob& job) {
  torch::set_num_threads(static_cast<int>(system::cores_per_rank(1)));
  try {
    const report::ReportFiles files =
        report::write_run_report({job.run_dir, {}, job.seeds}, std::cout);
    std::cout << "  report: " << files.markdown.string() << "\n" << std::flush;
  } catch (const std::exception& e) {
    std::cerr << "train: the run is complete, but its report failed: " << e.what()
              << "\n  (write it with `pathodino report " << job.run_dir.string() << "`)\n";
  }
}

// Every rank resolves its own config (its own --set); the job proceeds only when all of them are
// valid and identical. Returns the exit code to stop with, or 0.
int agree_on_config(const std::optional<ExperimentConfig>& config, const std::string& error,
                    distributed::Communicator& control) {
  const int rank = control.rank();
  const auto mine = torch::tensor(
      {static_cast<int64_t>(config ? 1 : 0),
       static_cast<int64_t>(config ? distributed::checksum(config::to_yaml(*config, false)) : 0)},
      torch::kInt64);
  const auto all = control.all_gather(mine, "all_gather(config check)");
  std::vector<int> refused;
  for (int r = 0; r < control.world_size(); ++r)
    if (all[r][0].item<int64_t>() == 0) refused.push_back(r);
  const int world = control.world_size();
  if (!refused.empty()) {
    // One write per rank, so lines from different ranks do not interleave.
    if (static_cast<int>(refused.size()) == world) {
      if (rank == 0)
        std::cerr << error + (world > 1 ? "\n(refused on every rank)\n" : "\n") << std::flush;
    } else if (!config) {
      std::cerr << "rank " + std::to_string(rank) + ": " + error + "\n" << std::flush;
    }
    if (rank == 0 && world > 1) {
      std::string ranks;
      for (int r : refused) ranks += " " + std::to_string(r);
      std::cerr << "train: the config was refused on rank(s)" + ranks + "; nothing was run\n"
                << std::flush;
    }
    return 2;
  }
  try {
    distributed::require_same_on_all_ranks(static_cast<uint64_t>(mine[1].item<int64_t>()),
                                           "the resolved config (hash of `pathodino config show`)",
                                           control);
  } catch (const distributed::RanksDisagree& e) {
    if (rank == 0)
      std::cerr << "train: " << e.what()
                << " — every rank must get the same --config and --set; nothing was run\n";
    return 2;
  }
  return 0;
}

// One run on this process's rank; on rank 0 of a run that finished, `report` says what to report
// once MPI is finalized. Returns the exit code.
int run_train(const TrainArgs& args, std::optional<ReportJob>& report) {
  distributed::MpiRuntime mpi(nullptr, nullptr);
  std::optional<ExperimentConfig> config;
  std::string error;
  try {
    config = config::resolve_config(args.file, args.overrides);
  } catch (const config::ConfigError& e) {
    error = e.what();
  }
  const double timeout = config ? config->distributed.timeout_s : 600.0;
  distributed::MpiCommunicator control(mpi.world(), timeout);
  int exit_code = agree_on_config(config, error, control);
  if (exit_code != 0) return exit_code;
  const std::string where =
      mpi.world_size() > 1 ? "train: rank " + std::to_string(mpi.rank()) + ": " : "train: ";
  try {
    train::TrainRequest request{*config, args.overwrite, args.resume};
    const train::TrainSummary summary = train::run_training(request, mpi, control, std::cout);
    char checksum[24];
    std::snprintf(checksum, sizeof(checksum), "%016llx",
                  static_cast<unsigned long long>(summary.parameter_checksum));
    if (mpi.rank() != 0)
      std::cout << "rank " + std::to_string(mpi.rank()) +
                       ": done: " + std::to_string(summary.steps) +
                       " steps, parameters equal to rank 0's (" + checksum + ")\n"
                << std::flush;
    else
      std::cout << "done: " << summary.steps << " steps (" << summary.skipped_steps
                << " skipped) in " << summary.seconds << " s, " << summary.images_per_second
                << " img/s over " << summary.world_size << " rank(s), parameters " << checksum
                << "\n  metrics: " << summary.metrics_file.string()
                << (summary.last_checkpoint.empty()
                        ? std::string()
                        : "\n  checkpoint: " + summary.last_checkpoint.string())
                << "\n  teacher backbone: " << summary.teacher_file.string()
                << "\n  teacher with heads: " << summary.teacher_with_heads_file.string() << " and "
                << summary.dinov2_checkpoint_file.filename().string() << " (DINOv2's format)\n";
    exit_code = 0;
    if (mpi.rank() == 0 && !args.no_report)
      report =
          ReportJob{summary.run_dir,
                    config->eval.knn_every_steps > 0 ? std::nullopt : std::optional<int64_t>(0)};
  } catch (const train::TrainingDiverged& e) {  // decided on values equal on every rank
    if (mpi.rank() == 0) std::cerr << "train: diverged: " << e.what() << "\n";
    exit_code = 3;
  } catch (const std::exception& e) {
    std::cerr << where << e.what() << std::endl;
    exit_code = 1;
    // An error on one rank must not leave the others waiting in a collective.
    if (mpi.world_size() > 1) MPI_Abort(MPI_COMM_WORLD, exit_code);
  }
  return exit_code;
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TrainArgs>();
  auto* command = app.add_subcommand(
      "train", "Pretrain a backbone with DINO + iBOT + KoLeo (one process, or under mpirun/srun)");
  add_config_args(*command, *args);
  command->add_flag("--overwrite", args->overwrite,
                    "replace the run in output_dir/name if one is there");
  command->add_option("--resume", args->resume,
                      "continue from a checkpoint: auto (the run's latest; a fresh start when it "
                      "has none) or a checkpoint/run directory");
  command->add_flag("--no-report", args->no_report,
                    "skip the run report (report/ in the run folder; `pathodino report RUN` "
                    "writes it later)");
  command->callback([args, &exit_code] {
    std::optional<ReportJob> report;
    exit_code = run_train(*args, report);
    if (report) write_report_after_run(*report);
  });
}

}  // namespace pathodino::cli
