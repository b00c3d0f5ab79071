// `pathodino doctor`: prints what this build and machine provide; non-zero when something is
// broken.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "trainer/cli/commands.h"
#include "trainer/cli/system_report.h"

namespace pathodino::cli {

void add_doctor_command(CLI::App& app, int& exit_code) {
  auto* command =
      app.add_subcommand("doctor", "Print LibTorch, GPU, NCCL, MPI and OpenSlide facts");
  command->callback([&exit_code] {
    const SystemReport report = collect_system_report();
    for (const auto& [label, value] : report.facts)
      std::printf("%-24s %s\n", label.c_str(), value.c_str());
    for (const auto& problem : report.problems)
      std::fprintf(stderr, "BROKEN: %s\n", problem.c_str());
    exit_code = report.problems.empty() ? 0 : 1;
  });
}

}  // namespace pathodino::cli
