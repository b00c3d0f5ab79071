// The training run, in DINOv2's stages, on one or many ranks: build (data shard → model, broadcast
// from rank 0 → optimizer → schedules for the global batch) → loop (micro-batches → schedule
// values → TrainStep: forward, guard, backward with bucketed all-reduce, clip, step, EMA → rank-0
// log; parameter checksum across ranks every N steps; sharded checkpoint every N steps) → finish
// (final checkpoint; rank 0 exports the teacher). A resumed run restores the checkpoint's state
// and continues at its step from its sampler position, on whatever world size it now has.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>

#include "data/image_source.h"
#include "trainer/config/experiment_config.h"
#include "trainer/distributed/communicator.h"
#include "trainer/distributed/mpi_runtime.h"

namespace pathodino::train {

struct TrainSummary {
  std::filesystem::path run_dir, metrics_file, teacher_file;
  // The teacher with its heads: pathodino's backbone file with heads and DINOv2's .pth.
  std::filesystem::path teacher_with_heads_file, dinov2_checkpoint_file;
  int64_t steps = 0, skipped_steps = 0;
  double seconds = 0, images_per_second = 0;  // images of the global batch
  int world_size = 1;
  uint64_t parameter_checksum = 0;   // xxh3 of student and teacher at the end: equal on all ranks
  data::SourceHealth source_health;  // unreadable tiles skipped, slides quarantined (all ranks)
  int64_t first_step = 0;            // > 0 when resumed from a checkpoint
  std::filesystem::path last_checkpoint;  // the newest checkpoint this run committed
  int64_t failed_saves = 0;
  double checkpoint_blocking_seconds = 0;   // training time spent in checkpoint saves
  std::optional<double> knn_top1;           // the kNN monitor's last top-1 (eval.knn_every_steps)
  std::optional<double> linear_probe_top1;  // held-out top-1 of the final probe (eval.linear_probe)
};

struct TrainRequest {
  ExperimentConfig config;
  bool overwrite = false;  // reuse a run folder that already holds a run
  std::string resume;      // "", "auto" (the run's latest checkpoint, if any) or a checkpoint path
};

// Runs the config to the end on every rank of `mpi`; `control` is an MPI communicator over them
// (configs already checked equal). Progress lines go to `progress` on rank 0. Throws
// TrainingDiverged after too many non-finite steps (on every rank alike), RanksDisagree when the
// parameters of the ranks part, std::runtime_error for anything else that stops the run.
TrainSummary run_training(const TrainRequest& request, const distributed::MpiRuntime& mpi,
                          distributed::Communicator& control, std::ostream& progress);

}  // namespace pathodino::train
