// `pathodino report RUN [--seeds N] [--out DIR] [--json]`: the run report of a run folder
// (report/run_report.h) — report.md with the run's plots and its model card, and report.json —
// written into RUN/report/ (or DIR). --seeds overrides eval.report_seeds (0: no evaluation).
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "trainer/cli/commands.h"
#include "trainer/cli/config_args.h"
#include "trainer/report/run_report.h"

namespace pathodino::cli {
namespace {

struct ReportArgs {
  std::string run;
  std::string out;
  std::optional<int64_t> seeds;
  bool json = false;
};

void run(const ReportArgs& args) {
  std::ostringstream quiet;
  const report::ReportFiles files = report::write_run_report(
      {args.run, args.out, args.seeds}, args.json ? static_cast<std::ostream&>(quiet) : std::cout);
  if (args.json) {
    std::ifstream in(files.json);
    std::cout << in.rdbuf() << std::flush;
    return;
  }
  std::cout << "report: " << files.markdown.string() << " (" << files.plots.size()
            << " plot(s); numbers in " << files.json.string() << ")\n";
}

}  // namespace

void add_report_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ReportArgs>();
  auto* command = app.add_subcommand(
      "report",
      "Write a run's report: plots of its log, its model card, the teacher next to random "
      "features");
  command->add_option("run", args->run, "the run folder (run.output_dir/run.name)")->required();
  command->add_option("--out", args->out,
                      "folder for report.md, report.json and the plots "
                      "(default: RUN/report)");
  command
      ->add_option("--seeds", args->seeds,
                   "random-feature init seeds to score next to the teacher (default: the run's "
                   "eval.report_seeds; 0: no evaluation)")
      ->check(CLI::Range(0, 100));
  command->add_flag("--json", args->json, "print report.json instead of the file names");
  command->callback([args, &exit_code] { run_guarded(exit_code, "report", [&] { run(*args); }); });
}

}  // namespace pathodino::cli
