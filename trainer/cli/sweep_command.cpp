// `pathodino sweep plan|submit|report`: hyper-parameter sweeps of one base config.
//   sweep plan SWEEP.yaml                    expand, resolve and validate every run; write folders
//   sweep submit SWEEP.yaml [--wait]         plan, then submit a Slurm job array (one task per run)
//   sweep submit SWEEP.yaml --local          plan, then run them one after another with mpirun
//   sweep report SWEEP.yaml|SWEEP_DIR        table (Markdown, CSV) and kNN-vs-step plot (PNG)
// Exit codes: 0 ok, 1 runtime failure (a failed run, sbatch failed), 2 refused sweep file.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <iostream>

#include "trainer/cli/commands.h"
#include "trainer/sweep/sweep_file.h"
#include "trainer/sweep/sweep_launch.h"
#include "trainer/sweep/sweep_plan.h"
#include "trainer/sweep/sweep_report.h"

namespace pathodino::cli {
namespace {

struct SweepArgs {
  std::string file;
  bool local = false, wait = false;
};

// Plans and writes the sweep, printing its runs; throws what plan_sweep throws.
sweep::SweepPlan plan_and_write(const std::string& file) {
  const sweep::SweepPlan plan = sweep::plan_sweep(sweep::read_sweep_file(file));
  sweep::write_sweep_plan(plan);
  std::cout << "sweep " << plan.sweep.name << ": " << plan.runs.size() << " run(s) of "
            << plan.sweep.ranks << " rank(s) in " << plan.dir.string() << "\n";
  for (const sweep::PlannedRun& run : plan.runs) {
    std::cout << "  " << run.name << ":";
    for (const auto& [key, value] : run.overrides) std::cout << " " << key << "=" << value;
    std::cout << "\n";
  }
  return plan;
}

// Runs `body`, mapping a refused sweep to exit 2 and anything else to 1.
void guarded(int& exit_code, const std::function<int()>& body) {
  try {
    exit_code = body();
  } catch (const sweep::SweepRefused& e) {
    std::cerr << e.what();
    exit_code = 2;
  } catch (const sweep::SweepFileError& e) {
    std::cerr << "sweep: " << e.what() << "\n";
    exit_code = 2;
  } catch (const std::exception& e) {
    std::cerr << "sweep: " << e.what() << "\n";
    exit_code = 1;
  }
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  auto* sweep = app.add_subcommand("sweep", "Hyper-parameter sweeps: plan, submit, report");
  sweep->require_subcommand(1);
  auto args = std::make_shared<SweepArgs>();

  auto* plan = sweep->add_subcommand("plan", "Expand a sweep file into validated run folders");
  plan->add_option("sweep_file", args->file, "sweep YAML (base, name, grid and/or runs)")
      ->required();
  plan->callback([args, &exit_code] {
    guarded(exit_code, [&] {
      plan_and_write(args->file);
      return 0;
    });
  });

  auto* submit = sweep->add_subcommand(
      "submit", "Plan, then submit a Slurm job array (or --local: run here with mpirun)");
  submit->add_option("sweep_file", args->file, "sweep YAML")->required();
  submit->add_flag("--local", args->local, "run the runs one after another here with mpirun");
  submit->add_flag("--wait", args->wait, "sbatch --wait: return when every array task ended");
  submit->callback([args, &exit_code] {
    guarded(exit_code, [&] {
      const sweep::SweepPlan plan = plan_and_write(args->file);
      const std::filesystem::path bin = std::filesystem::read_symlink("/proc/self/exe");
      if (!args->local)
        return sweep::submit_to_slurm(plan, bin, args->wait, std::cout) == 0 ? 0 : 1;
      const int failed = sweep::run_locally(plan, bin, std::cout);
      std::cout << plan.runs.size() - failed << " of " << plan.runs.size()
                << " run(s) finished; report: pathodino sweep report " << plan.dir.string() << "\n";
      return failed == 0 ? 0 : 1;
    });
  });

  auto* report = sweep->add_subcommand(
      "report", "Final and best loss and kNN of every run: Markdown, CSV, PNG plot");
  report->add_option("sweep", args->file, "the sweep YAML, or the sweep folder")->required();
  report->callback([args, &exit_code] {
    guarded(exit_code, [&] {
      const std::filesystem::path dir = std::filesystem::is_directory(args->file)
                                            ? std::filesystem::path(args->file)
                                            : sweep::read_sweep_file(args->file).sweep_dir();
      const sweep::SweepPlan plan = sweep::read_sweep_plan(dir);
      const std::vector<sweep::RunOutcome> runs = sweep::gather_outcomes(plan);
      const sweep::ReportFiles files = sweep::write_report(plan, runs);
      std::cout << sweep::markdown_table(runs) << "\nwritten: " << files.markdown.string() << ", "
                << files.csv.string() << ", " << files.plot.string() << "\n";
      return 0;
    });
  });
}

}  // namespace pathodino::cli
