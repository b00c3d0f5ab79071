// A run's folder (run.output_dir/run.name: config.yaml, metrics.jsonl, timeline, exported
// teacher) and its checkpoint directory (checkpoint.directory, or checkpoints/ in the folder).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "trainer/checkpoint/checkpoint_options.h"
#include "trainer/config/experiment_config.h"

namespace pathodino::train {

struct RunPaths {
  std::filesystem::path run_dir, checkpoints;
};

RunPaths run_paths(const RunOptions& run, const checkpoint::CheckpointOptions& checkpoint);

// A fresh run refuses a folder (or checkpoint directory) that holds a run unless `overwrite`,
// and then empties it; a resumed run (`resumed_step`) keeps both and drops the log lines from its
// first step on, which it writes again.
void prepare_run_dir(const RunPaths& paths, bool overwrite, std::optional<int64_t> resumed_step);

}  // namespace pathodino::train
