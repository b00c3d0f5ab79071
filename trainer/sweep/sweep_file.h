// A sweep file: a base experiment config and the runs to make of it —
//   base: ../debug/tiny_cpu.yaml          # relative to the sweep file
//   name: lr_koleo                        # the sweep folder: <output_dir>/<name>/
//   output_dir: runs/sweeps               # relative to the working directory (default runs/sweeps)
//   ranks: 2                              # MPI ranks of each run (default 1)
//   set: {optim.epochs: 2}                # overrides of every run
//   grid: {optim.base_lr: [1e-3, 4e-3], ssl.koleo.loss_weight: [0.0, 0.1]}  # every combination
//   runs: [{model.drop_path_rate: 0.0}]   # and/or a list of runs, each a map of overrides
//   slurm: {partition: gpu, time: "12:00:00", cpus_per_task: 8, gpus_per_task: 1,
//           extra: ["--account=path"]}   # what `sweep submit` asks sbatch for
// A run's overrides are `set`, then its grid point or list entry; each value is what `--set
// KEY=VALUE` would take; nested maps spell dotted keys ({optim: {epochs: 2}} is optim.epochs).
// No LibTorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "trainer/config/config_issue.h"

namespace pathodino::sweep {

using Overrides = std::vector<std::pair<std::string, std::string>>;  // key, value as for --set

struct SlurmRequest {
  std::string partition, time, account;
  int64_t cpus_per_task = 1, gpus_per_task = 0;
  std::vector<std::string> extra;  // further sbatch options, verbatim
};

struct SweepFile {
  std::filesystem::path file;  // where it was read from
  std::filesystem::path base;  // the base config, resolved against the sweep file's folder
  std::string name;
  std::filesystem::path output_dir = "runs/sweeps";
  int64_t ranks = 1;
  Overrides common;
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;  // in file order
  std::vector<Overrides> runs;
  SlurmRequest slurm;

  std::filesystem::path sweep_dir() const { return output_dir / name; }
};

// A sweep file that cannot be used; each issue names the file, line and key at fault.
class SweepFileError : public config::ConfigError {
 public:
  explicit SweepFileError(config::ConfigIssues issues)
      : ConfigError(std::move(issues), "sweep file") {}
};

// Reads a sweep file through its schema, then checks every override key against the experiment
// config's schema. Throws SweepFileError listing everything it cannot use (unknown keys, with a
// suggestion; wrong types; a grid entry that is not a non-empty list; no runs at all; a name that
// is not a folder name, ...). Override values are checked when the runs are planned.
SweepFile read_sweep_file(const std::filesystem::path& file);

// Each run's overrides, in order: the grid's combinations (last key varying fastest), then `runs`.
std::vector<Overrides> expand_runs(const SweepFile& sweep);

}  // namespace pathodino::sweep
