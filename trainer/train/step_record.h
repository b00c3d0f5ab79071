// One step's record, built once at the end of the step and read by everything that reports it:
// the metrics log (JSONL, rank 0), Prometheus (every rank), the progress line (rank 0) and the
// step timeline. Each reader picks what it shows; none computes a number of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "data/image_source.h"
#include "trainer/distributed/gradient_reducer.h"
#include "trainer/metrics/jsonl_log.h"
#include "trainer/metrics/step_timeline.h"
#include "trainer/metrics/training_metrics.h"
#include "trainer/system/cuda_memory.h"
#include "trainer/train/train_step.h"

namespace pathodino::train {

// What the kNN monitor logs: top-1 and balanced accuracy, the balanced accuracy per group of the
// queries, and the Robustness Index when the labelled set has two sites or more.
struct KnnRecord {
  double top1 = 0, balanced = 0;
  std::vector<std::pair<std::string, double>> group_balanced;
  std::optional<double> robustness_index;
};

struct StepRecord {
  using TimePoint = std::chrono::steady_clock::time_point;
  int64_t step = 0;           // counted from 0
  int64_t epoch = 0;          // step / iterations_per_epoch
  int64_t global_batch = 0;   // images over all ranks and micro-batches
  StepValues values;          // the schedules' values at this step
  StepResult result;          // losses, collapse monitors, this rank's phases
  int64_t skipped_total = 0;  // non-finite steps skipped so far, this one included
  // This rank's clock: the step's start, when its batches began moving to the device, seconds.
  TimePoint start, to_device;
  double step_seconds = 0, data_wait = 0;
  data::SourceHealth rank_health;         // this rank's source
  data::SourceHealth run_health;          // every rank's, summed at the latest progress line
  std::optional<KnnRecord> knn;           // the kNN monitor after this step
  std::optional<KnnRecord> knn_at_start;  // on the run's first record: the initialisation's
  std::optional<KnnRecord> knn_random;    // on this process's first record: random features'
  double log_prototypes = 0;              // log K, the entropy of a uniform teacher
  bool uniform_collapse = false;          // the collapse watch's latest verdict
  std::optional<system::CudaMemory> cuda_memory;
  // The gradient buckets' transfers of this step; null without a reducer or backward.
  const distributed::ReduceTimeline* reduce = nullptr;
  int64_t gradient_bytes = 0;  // all buckets
};

metrics::StepMetrics prometheus_step(const StepRecord& record);
metrics::LogRecord log_record(const StepRecord& record);
// The progress line's terms, in order; throughput and ETA come from the line's own average.
std::vector<std::pair<std::string, double>> progress_terms(const StepRecord& record);
// The step's phases on the compute track, and each gradient bucket (labelled with its size from
// `bucket_bytes`) on the communication track.
void add_to_timeline(const StepRecord& record, const std::vector<int64_t>& bucket_bytes,
                     bool reduce_scatter, metrics::StepTimeline& timeline);

}  // namespace pathodino::train
