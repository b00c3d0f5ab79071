// Reading checkpoints back: every tensor verified against the manifest (present, dtype, shape,
// XXH3-64 checksum) before anything is used, errors naming the file and the tensor; and choosing
// which checkpoint a resume reads, falling back to the previous complete one when the newest is
// damaged (checkpoint.fallback_to_previous).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "trainer/checkpoint/checkpoint_manifest.h"

namespace pathodino::checkpoint {

struct LoadedCheckpoint {
  std::filesystem::path path;  // the step directory
  Manifest manifest;
  std::map<std::string, torch::Tensor> tensors;  // CPU
};

// Reads the checkpoint in `step_dir`, only the tensors whose names start with one of `prefixes`
// (empty: all). Throws CheckpointError.
LoadedCheckpoint load_checkpoint(const std::filesystem::path& step_dir,
                                 const std::vector<std::string>& prefixes = {});

// A checkpoint directory given on the command line: a step directory, or a run's checkpoints
// directory or run directory (→ the checkpoint its `latest` names).
std::filesystem::path resolve_checkpoint_path(const std::filesystem::path& given);

struct ResumeChoice {
  LoadedCheckpoint checkpoint;
  std::vector<std::string> warnings;  // checkpoints passed over, and why
};

// `spec` = "auto": `latest` under `checkpoints_root`, nullopt when the run has no checkpoint yet;
// otherwise a path as resolve_checkpoint_path takes. With `fallback`, a checkpoint that fails to
// load is passed over for the next older complete one (auto: in `checkpoints_root`; a path: in its
// parent); without, or when none loads, throws CheckpointError with every reason.
std::optional<ResumeChoice> choose_resume_checkpoint(const std::string& spec,
                                                     const std::filesystem::path& checkpoints_root,
                                                     bool fallback);

}  // namespace pathodino::checkpoint
