// Which checkpoint a run resumes from (`--resume auto` or a path): rank 0 chooses and verifies
// it (falling back to the one before when checkpoint.fallback_to_previous), every rank loads it.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "trainer/checkpoint/checkpoint_reader.h"
#include "trainer/distributed/communicator.h"

namespace pathodino::train {

struct ResumeRequest {
  std::string spec;  // "", "auto" or a checkpoint path
  std::filesystem::path checkpoints;
  bool fallback_to_previous = true;
  uint64_t seed = 0;                // the run's: a checkpoint of another seed is refused
  std::string config_yaml;          // a different config than the checkpoint's is warned about
  checkpoint::CheckpointKeys keys;  // Notes [Signed checkpoints], [Encrypted checkpoints]
};

// nullopt for a fresh run (or `auto` before the first checkpoint). Collective; rank 0 reports
// the choice on `progress`.
std::optional<checkpoint::LoadedCheckpoint> load_resume_checkpoint(
    const ResumeRequest& request, distributed::Communicator& control, std::ostream& progress);

}  // namespace pathodino::train
