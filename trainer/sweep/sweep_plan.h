// `pathodino sweep plan`: a sweep file expanded into run folders, each with its resolved and
// validated config —
//   <sweep_dir>/plan.json              the sweep: name, ranks, base, every run and its overrides
//   <sweep_dir>/runs/<run>/config.yaml the complete config the run trains with (run.name and
//                                      run.output_dir point into the sweep)
// Every run is resolved before anything is written: a sweep with one invalid combination writes
// nothing and reports every refused run with its config problems.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "trainer/sweep/sweep_file.h"

namespace pathodino::sweep {

struct PlannedRun {
  std::string name;     // <sweep name>-<index, two digits or more>
  Overrides overrides;  // the run's own: its grid point or list entry (without `set`)
  std::string config_yaml;
};

struct SweepPlan {
  std::filesystem::path dir;  // absolute
  SweepFile sweep;
  std::vector<PlannedRun> runs;
  std::filesystem::path config_file(const PlannedRun& run) const {
    return dir / "runs" / run.name / "config.yaml";
  }
};

class SweepRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws SweepRefused listing every run whose config is refused, with the problems of each.
SweepPlan plan_sweep(const SweepFile& sweep);

// Writes plan.json and every run's config.yaml (durably); leaves what runs wrote alone.
void write_sweep_plan(const SweepPlan& plan);

// The plan a previous `sweep plan` wrote in `dir` (for `sweep report`); throws
// std::runtime_error naming the file when there is none.
SweepPlan read_sweep_plan(const std::filesystem::path& dir);

}  // namespace pathodino::sweep
