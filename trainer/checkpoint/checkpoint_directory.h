// The checkpoints of a run, under `<run dir>/checkpoints/`:
//   step-00001250/          a complete checkpoint: manifest.json + one shard file per writing rank
//   step-00001250.partial/  one being written; never read, removed by the next save
//   latest                  the name of the newest complete checkpoint, replaced atomically only
//                           after that checkpoint is durable
// A step directory is committed by renaming its .partial directory once the manifest is in it, so
// a crash at any instant leaves every step-N directory complete and `latest` naming one of them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "trainer/checkpoint/checkpoint_options.h"

namespace pathodino::checkpoint {

std::string step_directory_name(int64_t step);          // "step-00001250"
std::string shard_file_name(int rank, int world_size);  // "shard-00001-of-00004.safetensors"
// What an encrypted shard authenticates besides its bytes: its step and file name (Note
// [Encrypted checkpoints] in checkpoint_reader.h).
std::string shard_authenticated_data(int64_t step, const std::string& shard_file);

// Of the complete checkpoints (any order), those retention deletes: all but the newest
// `keep_last`, the multiples of `keep_every_steps`, and `latest` (never deleted).
std::vector<int64_t> steps_to_delete(std::vector<int64_t> complete_steps,
                                     std::optional<int64_t> latest,
                                     const CheckpointOptions& options);

class CheckpointDirectory {
 public:
  explicit CheckpointDirectory(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }

  std::filesystem::path step_path(int64_t step) const;
  std::filesystem::path partial_path(int64_t step) const;

  // Steps whose directory holds a manifest, ascending.
  std::vector<int64_t> complete_steps() const;
  // The checkpoint `latest` names; nullopt when there is no pointer. Throws CheckpointError when
  // the pointer is unreadable or names something that is not a step directory.
  std::optional<int64_t> latest() const;

  // Empties and creates step-N.partial/ (removing leftovers of interrupted saves).
  std::filesystem::path begin(int64_t step) const;
  // Renames step-N.partial/ to step-N/ (replacing an older step-N/) and points `latest` at it.
  void commit(int64_t step) const;
  // Deletes what retention does not keep; returns the deleted steps.
  std::vector<int64_t> apply_retention(const CheckpointOptions& options) const;

 private:
  std::filesystem::path root_;
};

}  // namespace pathodino::checkpoint
