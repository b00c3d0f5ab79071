// Saving a checkpoint, a collective over every rank, in three phases:
//   stage  — at the step boundary: rank 0 creates step-N.partial/; for an async save each rank
//            copies its share of the tensors (shard_plan) into host buffers kept from save to
//            save (a synchronous save writes straight from the live tensors);
//   write  — each rank writes its share as one safetensors file, durably, with an XXH3-64
//            checksum per tensor: in the caller's thread (save), or on a background thread while
//            training goes on (start_async; at most one save in flight);
//   commit — checksums and failures are summed over ranks; when every shard is durable, rank 0
//            writes config.yaml and the manifest, renames the directory to step-N/, points
//            `latest` at it and applies retention (for an async save on a background thread of
//            rank 0, confirmed to every rank at a later poll; after a synchronous save retention
//            runs on a janitor thread, joined before the next save).
// A failure in any phase leaves `latest` and the checkpoint it names untouched, and every rank
// gets the same outcome, so all of them continue or stop together.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "trainer/checkpoint/checkpoint_directory.h"
#include "trainer/checkpoint/checkpoint_manifest.h"
#include "trainer/checkpoint/checkpoint_options.h"
#include "trainer/checkpoint/train_state.h"
#include "trainer/dist/communicator.h"

namespace pathodino::checkpoint {

struct SaveOutcome {
  int64_t step = 0;
  bool ok = false;
  std::string error;            // why not, naming the rank and file
  std::filesystem::path path;   // the committed step directory
  int64_t bytes = 0;            // tensor bytes over all ranks
  double seconds = 0;           // from staging to commit
  double blocking_seconds = 0;  // of those, spent in the caller's thread (all of it when sync)
};

class CheckpointWriter {
 public:
  CheckpointWriter(CheckpointDirectory directory, CheckpointOptions options,
                   dist::Communicator& comm);
  ~CheckpointWriter();  // waits for a background write (never commits it)
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Collective, synchronous. `manifest` carries the run's fields (step, config, sampler,
  // counters); shards, tensors, world size and versions are filled in here.
  SaveOutcome save(const std::vector<NamedTensor>& state, Manifest manifest);

  // Allocates (and faults in) the host buffers async saves stage into, so that the first async
  // save costs no more than the next ones. Not collective.
  void prepare_async(const std::vector<NamedTensor>& state);
  // Collective: stages now, writes in the background. Call only when nothing is in flight.
  void start_async(const std::vector<NamedTensor>& state, Manifest manifest);
  bool in_flight() const { return pending_.has_value() || failed_start_.has_value(); }
  // Collective, at every step boundary while a save is in flight (same steps on every rank):
  // commits it once every rank's shard is written and returns the outcome; nullopt meanwhile.
  std::optional<SaveOutcome> poll();
  // Collective: waits for the in-flight save and commits it.
  SaveOutcome finish();

  const CheckpointDirectory& directory() const { return directory_; }

 private:
  struct Pending {
    enum class Phase { writing, committing } phase = Phase::writing;
    Manifest manifest;
    std::vector<int> plan;               // writing rank of each tensor
    std::vector<size_t> mine;            // this rank's tensors, indices into the state
    std::vector<std::string> names;      // of `mine`
    std::vector<std::string> all_names;  // every tensor, in state order
    std::vector<uint64_t> checksums;     // of `mine`, computed by the write
    std::string error;                   // this rank's failure; empty when fine
    std::chrono::steady_clock::time_point started;
    double blocking_seconds = 0;
  };
  void allocate_staging(const std::vector<NamedTensor>& state, const std::vector<size_t>& mine);
  bool stage(const std::vector<NamedTensor>& state, Manifest manifest, bool copy,
             std::string& error);
  void write_staged() noexcept;
  // Sums checksums and failures over ranks; false (with the outcome's error) when a shard failed.
  bool gather(SaveOutcome& outcome);
  // Manifest, rename, latest, then retention (now, or on the janitor thread); sets commit_error_.
  void commit_on_rank0(bool retention_now);

  CheckpointDirectory directory_;
  CheckpointOptions options_;
  dist::Communicator& comm_;
  std::vector<torch::Tensor> staging_;     // host copies of this rank's share, reused
  std::vector<torch::Tensor> write_from_;  // what the write reads: staging_ or the live tensors
  std::optional<Pending> pending_;
  std::optional<SaveOutcome> failed_start_;  // an async save that failed while staging
  std::thread writer_;                       // the shard write, then (rank 0, async) the commit
  std::atomic<bool> written_{false}, committed_{false};
  std::thread janitor_;       // rank 0: retention after a synchronous save
  std::string commit_error_;  // rank 0's, read after committed_
  SaveOutcome gathered_;      // between gather and the commit's confirmation
};

}  // namespace pathodino::checkpoint
