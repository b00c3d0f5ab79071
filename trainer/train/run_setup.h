// The run set-up: the one place that reads the whole ExperimentConfig. It builds each component
// of a training run from its own section — device and communicators, data shard and loader,
// model (broadcast from rank 0, or restored from a checkpoint), train step, metrics — and hands
// the step loop its options.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <fstream>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/image_source.h"
#include "data/index/pseudonyms.h"
#include "data/loader/batch_queue.h"
#include "data/loader/sharded_sampler.h"
#include "data/source/source_factory.h"
#include "trainer/audit/audit_trail.h"
#include "trainer/checkpoint/checkpoint_options.h"
#include "trainer/checkpoint/train_state.h"
#include "trainer/distributed/communicator.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/eval/live_knn.h"
#include "trainer/metrics/jsonl_log.h"
#include "trainer/metrics/training_metrics.h"
#include "trainer/optim/schedules.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/train/device_choice.h"
#include "trainer/train/run_folder.h"
#include "trainer/train/ssl_trainer.h"
#include "trainer/train/train_step.h"

namespace pathodino::train {

// What the step loop reads, from the run, optim, ssl, distributed, eval, metrics and checkpoint
// sections.
struct LoopOptions {
  uint64_t seed = 0;
  int64_t first_step = 0;  // > 0 when resumed
  int64_t total_steps = 0, iterations_per_epoch = 1;
  int64_t batch_size = 0, micro_batches = 1, global_batch = 0;
  int64_t log_every = 1, param_check_every = 0, knn_every = 0;
  int64_t timeline_start = 0, timeline_steps = 0;
  int64_t prototypes = 0, warmups_end = 0;         // for the collapse watch
  std::string config_yaml;                         // written into every checkpoint
  std::map<std::string, std::string> data_ledger;  // the manifest's `data` (checkpoint_manifest.h)
  checkpoint::CheckpointOptions checkpoint;
  double collective_timeout_s = 0;  // the checkpoint's own communicator
};

// A run's components, in the order they are built (and destroyed in reverse: the loader's threads
// stop before the source and sampler go, the train step before the model).
struct RunParts {
  RunPaths paths;
  LoopOptions loop;
  DeviceChoice device;
  std::unique_ptr<distributed::Communicator> gpu_comm;  // between GPUs; null on CPU or one rank
  distributed::Communicator* grad_comm = nullptr;       // gpu_comm, or the control communicator
  std::shared_ptr<const data::ImageSource> source;      // this rank's shard
  std::unique_ptr<eval::LiveKnn> knn;                   // eval.knn_every_steps > 0
  // Random features of the same architecture (Note [Random-feature yardstick], init seed 0),
  // scored by the kNN monitor once at the start and freed: the level its line is read against.
  std::optional<models::VisionTransformer> knn_random;  // with knn, when eval.report_seeds > 0
  std::optional<data::Pseudonyms> pseudonyms;  // with privacy.pseudonymise: how lines name slides
  std::optional<optim::TrainingSchedules> schedules;  // set by build_run
  std::unique_ptr<ssl::StudentTeacher> model;
  std::vector<torch::Tensor> state;  // parameters and buffers, compared across ranks
  std::unique_ptr<TrainStep> train_step;
  std::unique_ptr<checkpoint::TrainState> train_state;
  std::unique_ptr<metrics::JsonlLog> log;  // rank 0
  int64_t loader_threads = 0;
  data::SampleOrderChoice order;
  std::unique_ptr<data::ShardedSampler> sampler;  // the queue's copy: positions for checkpoints
  std::unique_ptr<data::BatchQueue> queue;
  std::unique_ptr<metrics::TrainingMetrics> prometheus;
  std::unique_ptr<audit::AuditTrail> audit;  // rank 0: the run's audit.jsonl (+ the shared log)
  std::unique_ptr<std::ofstream> draw_log;   // audit.draw_log: this rank's RUN/draws/rank_<r>.csv
};

// Everything that can refuse the config happens before the run folder is touched. Collective.
RunParts build_run(const TrainRequest& request, const distributed::MpiRuntime& mpi,
                   distributed::Communicator& control, std::ostream& progress);

// Rank 0's start-up report: model, batch, device, data parallelism, optimizer state per rank,
// data, checkpoints, metrics, timeline, kNN monitor. Collective (gathers the optimizer state).
void report_start(const RunParts& parts, const ExperimentConfig& config,
                  distributed::Communicator& control, std::ostream& progress);

}  // namespace pathodino::train
