// Saving a checkpoint, a collective over every rank:
//   1. rank 0 creates step-N.partial/ (all ranks learn whether it could);
//   2. each rank copies its share of the tensors (shard_plan) to host memory and writes it as one
//      safetensors file, durably, with an XXH3-64 checksum per tensor;
//   3. the checksums and any failures are summed over ranks; when every shard is durable, rank 0
//      writes the manifest, renames the directory to step-N/, points `latest` at it and applies
//      retention.
// A failure at any stage leaves `latest` and the checkpoint it names untouched, and every rank
// gets the same outcome, so all of them continue or stop together.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "trainer/checkpoint/checkpoint_directory.h"
#include "trainer/checkpoint/checkpoint_manifest.h"
#include "trainer/checkpoint/checkpoint_options.h"
#include "trainer/checkpoint/train_state.h"
#include "trainer/dist/communicator.h"

namespace pathodino::checkpoint {

struct SaveOutcome {
  bool ok = false;
  std::string error;           // why not, naming the rank and file
  std::filesystem::path path;  // the committed step directory
  int64_t bytes = 0;           // tensor bytes over all ranks
  double seconds = 0;
};

class CheckpointWriter {
 public:
  CheckpointWriter(CheckpointDirectory directory, CheckpointOptions options,
                   dist::Communicator& comm)
      : directory_(std::move(directory)), options_(options), comm_(comm) {}

  // Collective. `manifest` carries the run's fields (step, config, sampler, counters); shards,
  // tensors, world size and versions are filled in here.
  SaveOutcome save(const std::vector<NamedTensor>& state, Manifest manifest);

  const CheckpointDirectory& directory() const { return directory_; }

 private:
  CheckpointDirectory directory_;
  CheckpointOptions options_;
  dist::Communicator& comm_;
};

}  // namespace pathodino::checkpoint
