// Saving a checkpoint, a collective over every rank, in three phases:
//   stage  — at the step boundary. A synchronous save writes straight from the live tensors. An
//            async save copies each rank's share of the tensors (shard_plan) into host buffers
//            kept from save to save — on the background worker, while the next step's forward
//            and backward run: those only read the state, so training waits for the copy
//            (wait_until_staged) only where it would change the state, before the optimizer
//            step, and by then the copy is normally done;
//   write  — rank 0 creates step-N.partial/; each rank writes its share as one safetensors file,
//            durably, with an XXH3-64 checksum per tensor;
//   commit — checksums and failures are summed over ranks; when every shard is durable, rank 0
//            writes config.yaml and the manifest, renames the directory to step-N/, points
//            `latest` at it and applies retention.
// A synchronous save runs all of it in the caller's thread. An async save hands everything after
// the step boundary to a background worker, collectives included (on the writer's communicator,
// which training does not use meanwhile): the training thread posts one job at the boundary and
// afterwards only reads a flag — no collective, no wait for the other ranks, so one rank's slow
// disk never stalls the others' steps.
// A failure in any phase leaves `latest` and the checkpoint it names untouched, and every rank
// gets the same outcome, so all of them can continue or stop together.
//
// Note [Checkpoint sums]: a save's outcome is the result of up to three all-reduce sums (did rank
// 0 prepare the directory; each rank's write failures and checksums; did the commit succeed),
// entered in this order by every rank whatever failed locally: a failure becomes a flag in the
// next sum, never a skipped collective, which would leave the other ranks waiting until the
// watchdog aborts the job. What runs between them depends only on an earlier sum's result, the
// same on every rank (rank 0's reason for not preparing is broadcast after the first; the third
// runs only when the second found every shard written). So every rank sees the same outcome, and
// every rank must finish() (or poll() to the end) the same save.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "trainer/checkpoint/checkpoint_directory.h"
#include "trainer/checkpoint/checkpoint_manifest.h"
#include "trainer/checkpoint/checkpoint_options.h"
#include "trainer/checkpoint/train_state.h"
#include "trainer/distributed/communicator.h"
#include "trainer/system/aes_gcm.h"
#include "trainer/system/background_worker.h"
#include "trainer/system/ed25519.h"

namespace pathodino::checkpoint {

struct SaveOutcome {
  int64_t step = 0;
  bool ok = false;
  std::string error;            // why not, naming the rank and file
  std::filesystem::path path;   // the committed step directory
  int64_t bytes = 0;            // tensor bytes over all ranks
  double seconds = 0;           // from staging to commit
  double blocking_seconds = 0;  // of those, spent in the caller's thread (all of it when sync)
  // Fingerprints of the keys that signed (rank 0) and encrypted it; empty when none.
  std::string signed_by, encrypted_with;
};

class CheckpointWriter {
 public:
  // With options.signing_key, rank 0 loads the key here (throws system::SignatureError naming
  // the file) and signs every manifest it commits; every rank hashes its shard. With
  // options.encryption_key, every rank loads it here (system::EncryptionError) and encrypts.
  CheckpointWriter(CheckpointDirectory directory, CheckpointOptions options,
                   distributed::Communicator& comm);
  ~CheckpointWriter();  // waits for the save in flight, which runs to its end on every rank
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Collective, synchronous. `manifest` carries the run's fields (step, config, sampler,
  // counters); shards, tensors, world size and versions are filled in here.
  SaveOutcome save(const std::vector<NamedTensor>& state, Manifest manifest);

  // Allocates (and faults in) the host buffers async saves stage into, so that the first async
  // save costs no more than the next ones. Not collective.
  void prepare_async(const std::vector<NamedTensor>& state);
  // Collective (every rank, same step): stages, writes and commits in the background. Call only
  // when nothing is in flight. The state's tensors must not change until wait_until_staged()
  // returns (an update that finished during the copy fails the save, naming the tensor).
  void start_async(const std::vector<NamedTensor>& state, Manifest manifest);
  // Returns once the in-flight async save has copied the state (at once when nothing is being
  // copied), copying, in the caller's thread, the tensors the background thread has not reached
  // yet. Call before the first in-place change of the state after start_async; the time counts
  // as blocking time.
  void wait_until_staged();
  bool in_flight() const { return pending_.has_value(); }
  // Not collective, never waits: the in-flight save's outcome once this rank's background work on
  // it has ended, nullopt meanwhile. The outcome is the same on every rank, but ranks may see it at
  // different steps: act on it collectively (stop the run) only at a step every rank agrees on,
  // such as the next call to finish().
  std::optional<SaveOutcome> poll();
  // Waits for the in-flight save to be committed (or to fail) and returns its outcome. Every rank
  // must call it, or poll() until it returns, for the same save: Note [Checkpoint sums].
  SaveOutcome finish();

  const CheckpointDirectory& directory() const { return directory_; }

 private:
  struct Pending {
    Manifest manifest;
    std::vector<int> plan;               // writing rank of each tensor
    std::vector<size_t> mine;            // this rank's tensors, indices into the state
    std::vector<std::string> names;      // of `mine`
    std::vector<std::string> all_names;  // rank 0: every tensor, in state order
    std::vector<NamedTensor> layout;     // rank 0: the state, until its table is built
    std::vector<uint64_t> checksums;     // of `mine`, computed by the write
    std::string shard_sha256;            // of this rank's shard file, when signing (raw bytes)
    std::string error;                   // this rank's failure; empty when fine
    std::chrono::steady_clock::time_point started;
    double blocking_seconds = 0;  // the caller's thread only
    // Async: the live tensors the background thread copies into staging_, with their versions
    // at start_async.
    std::vector<torch::Tensor> sources;
    std::vector<int64_t> versions;
    SaveOutcome outcome;  // async: set by the worker before it sets done_
  };
  void allocate_staging(const std::vector<NamedTensor>& state, const std::vector<size_t>& mine);
  // At the step boundary, in the caller's thread: what to write, by whom, from which buffers.
  void stage(const std::vector<NamedTensor>& state, Manifest manifest, bool copy);
  // "checkpoint at step N: rank 0 could not prepare <step-N.partial>" + why.
  std::string cannot_prepare(int64_t step, const std::string& why) const;
  // Copies unclaimed tensors into staging_; the thread that copies the last one sets staged_.
  void copy_sources() noexcept;
  void copy_source(size_t k);  // tensor k of the pending save into its host buffer
  void await_staged();
  void write_staged() noexcept;
  // Every save after the step boundary — in the caller's thread (save) or on the worker
  // (start_async): copy (async), prepare, write, commit, retention.
  SaveOutcome write_and_commit(bool in_background);
  // Rank 0 builds the tensor table and creates step-N.partial/; false on every rank when it could
  // not (the first of the sums: Note [Checkpoint sums]).
  bool prepare_on_rank0(int64_t step, bool in_background);
  // Over the writer's communicator; on the worker (in_background) without spinning.
  void sum(torch::Tensor& values, const char* what, bool in_background);
  // This rank's part of the shard outcomes, summed over ranks: [shard written, failed per rank,
  // bytes, checksum per tensor]; a rank that failed sends only its flag.
  torch::Tensor shard_outcome_message() const;
  // From the sum: bytes, and false (with the outcome's error) when a shard failed.
  bool take_shard_outcomes(const torch::Tensor& sum, SaveOutcome& outcome);
  // The sum's checksums into the manifest, which is written; rename, latest; sets commit_error_.
  void commit_on_rank0(const torch::Tensor& outcomes);
  void apply_retention() noexcept;  // rank 0, after a commit
  SaveOutcome take_outcome();       // the async save's, once done_; nothing in flight afterwards

  CheckpointDirectory directory_;
  CheckpointOptions options_;
  distributed::Communicator& comm_;
  std::vector<torch::Tensor> staging_;     // host copies of this rank's share, reused
  std::vector<torch::Tensor> write_from_;  // what the write reads: staging_ or the live tensors
  std::optional<Pending> pending_;
  std::atomic<bool> done_{false};  // the async save's background work has ended
  std::mutex staged_mutex_;
  std::condition_variable staged_cv_;
  bool staged_ = true;     // under staged_mutex_: no copy of the live state outstanding
  size_t copy_count_ = 0;  // tensors to stage, claimed in order through next_copy_
  std::atomic<size_t> next_copy_{0}, copies_done_{0};
  std::atomic<bool> copy_failed_{false};
  std::string commit_error_;  // rank 0's
  // Rank 0's signing key when checkpoint.signing_key is set (Note [Signed checkpoints]).
  std::optional<system::Ed25519Key> signer_;
  // Every rank's shard key when checkpoint.encryption_key is set (Note [Encrypted checkpoints]).
  std::optional<system::AesKey> shard_key_;
  // The async save's background work; rank 0's retention after a synchronous save. Last, so that
  // it stops before the state its jobs use is destroyed.
  system::BackgroundWorker worker_;
};

}  // namespace pathodino::checkpoint
