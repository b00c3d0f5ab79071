// TrainingMetrics: the training run's Prometheus metric set on one rank (names, types, help in
// one place) and its /metrics endpoint. The trainer hands it plain numbers at each step boundary
// and after each checkpoint; a scrape of any rank shows that rank's view (losses, schedules and
// the gradient norm are global — the same on every rank; times, skipped reads and memory are the
// rank's own; sum or max them over `rank` in PromQL).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "trainer/metrics/metric_registry.h"
#include "trainer/metrics/metrics_options.h"

namespace pathodino::metrics {

class MetricsServer;

struct StepMetrics {
  int64_t step = 0;    // steps completed
  int64_t images = 0;  // images of the global batch in this step
  double images_per_second = 0;
  double loss = 0, dino = 0, ibot = 0, koleo = 0;
  double lr = 0, weight_decay = 0, teacher_momentum = 0, teacher_temp = 0;
  double grad_norm = 0;
  // Collapse monitors (trainer/ssl/ssl_health.h); log_prototypes = log K, the uniform entropy.
  double teacher_entropy = 0, student_entropy = 0, teacher_kl_to_uniform = 0,
         student_kl_to_uniform = 0, prototypes_for_90pct = 0, cls_effective_rank = 0,
         center_norm = 0, log_prototypes = 0;
  bool uniform_collapse = false;  // the DINO loss sits at log K after warm-up (collapse_watch.h)
  bool applied = true;            // false: skipped as non-finite
  // Seconds of this step on this rank, by phase.
  double step_seconds = 0, data_wait = 0, forward = 0, backward = 0, optimizer = 0;
  double allreduce_busy = 0, allreduce_exposed = 0;  // gradient buckets' transfer; not hidden
  int64_t allreduce_bytes = 0;
  int64_t skipped_reads_total = 0, quarantined_slides = 0;  // this rank's source
  // LibTorch's CUDA caching allocator on this rank's device; negative on CPU.
  int64_t cuda_allocated_bytes = -1, cuda_reserved_bytes = -1;
};

struct CheckpointMetrics {
  bool ok = false;
  int64_t step = 0, bytes = 0;
  double seconds = 0, blocking_seconds = 0;
};

// One group's kNN scores (a site, scanner… of the labelled set), in [0, 1].
struct KnnGroup {
  std::string group;
  double top1 = 0, balanced = 0;
};

class TrainingMetrics {
 public:
  // Starts the endpoint on options.bind_address:(port_base + local_rank) when
  // options.prometheus; throws std::runtime_error when it cannot listen.
  TrainingMetrics(const MetricsOptions& options, const std::string& run, int rank, int local_rank);
  ~TrainingMetrics();

  void record_step(const StepMetrics& step);
  void record_checkpoint(const CheckpointMetrics& checkpoint);
  void record_memory();  // resident set size
  // The kNN monitor's latest result, overall and per group of the queries (site…).
  void record_knn(int64_t step, double top1, double balanced, const std::vector<KnnGroup>& groups);
  // The kNN monitor's Robustness Index, when the labelled set has two sites or more.
  void record_robustness_index(double index);
  // Random features' kNN scores, the yardstick of the teacher's (Note [Random-feature yardstick]).
  void record_knn_random(double top1, double balanced);
  void record_linear_probe(double top1);  // the final linear probe's held-out top-1

  const MetricRegistry& registry() const { return registry_; }
  std::string url() const;  // empty without an endpoint
  // Pushes this rank's metrics to options.pushgateway_url (none: returns ""); returns what went
  // wrong, without throwing.
  std::string push() const;

 private:
  MetricRegistry registry_;
  std::string pushgateway_url_, run_;
  int rank_;
  std::unique_ptr<MetricsServer> server_;
  int64_t skipped_reads_seen_ = 0;
};

}  // namespace pathodino::metrics
