#include "trainer/train/step_record.h"

#include <algorithm>

namespace pathodino::train {
namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double images_per_second(const StepRecord& r) {
  return static_cast<double>(r.global_batch) / std::max(1e-9, r.step_seconds);
}

}  // namespace

metrics::StepMetrics prometheus_step(const StepRecord& record) {
  const StepResult& r = record.result;
  metrics::StepMetrics m;
  m.step = record.step + 1;
  m.images = record.global_batch;
  m.images_per_second = images_per_second(record);
  m.loss = r.total;
  m.dino = r.dino;
  m.ibot = r.ibot;
  m.koleo = r.koleo;
  m.lr = record.values.lr;
  m.weight_decay = record.values.weight_decay;
  m.teacher_momentum = record.values.teacher_momentum;
  m.teacher_temp = record.values.teacher_temp;
  m.grad_norm = r.grad_norm;
  m.teacher_entropy = r.health.teacher_entropy;
  m.student_entropy = r.health.student_entropy;
  m.teacher_kl_to_uniform = r.health.teacher_kl_to_uniform;
  m.student_kl_to_uniform = r.health.student_kl_to_uniform;
  m.prototypes_for_90pct = r.health.prototypes_for_90pct;
  m.cls_effective_rank = r.health.cls_effective_rank;
  m.center_norm = r.health.center_norm;
  m.log_prototypes = record.log_prototypes;
  m.uniform_collapse = record.uniform_collapse;
  m.applied = r.applied;
  m.step_seconds = record.step_seconds;
  m.data_wait = record.data_wait;
  m.forward = r.forward_seconds;
  m.backward = r.backward_seconds;
  m.optimizer = r.optimizer_seconds;
  if (record.reduce != nullptr) {
    for (const auto& bucket : record.reduce->buckets)
      m.allreduce_busy += seconds(bucket.finished - bucket.started);
    m.allreduce_exposed = seconds(record.reduce->all_done - record.reduce->backward_end);
    m.allreduce_bytes = record.gradient_bytes;
  }
  m.skipped_reads_total = record.rank_health.skipped_reads;
  m.quarantined_slides = record.rank_health.quarantined;
  if (record.cuda_memory) {
    m.cuda_allocated_bytes = record.cuda_memory->allocated_bytes;
    m.cuda_reserved_bytes = record.cuda_memory->reserved_bytes;
  }
  return m;
}

namespace {

// The monitor's keys: knn_top1, knn_balanced, knn_balanced.<group>, knn_robustness_index, each
// with `suffix` after the measure (knn_top1_at_start, knn_balanced_at_start.<group>, …).
void add_knn(const KnnRecord& k, const std::string& suffix, metrics::LogRecord& log) {
  log.numbers.emplace_back("knn_top1" + suffix, k.top1);
  log.numbers.emplace_back("knn_balanced" + suffix, k.balanced);
  for (const auto& [group, balanced] : k.group_balanced)
    log.numbers.emplace_back("knn_balanced" + suffix + "." + group, balanced);
  if (k.robustness_index)
    log.numbers.emplace_back("knn_robustness_index" + suffix, *k.robustness_index);
}

}  // namespace

metrics::LogRecord log_record(const StepRecord& record) {
  const StepResult& r = record.result;
  const StepValues& v = record.values;
  metrics::LogRecord log;
  log.integers = {{"step", record.step},
                  {"epoch", record.epoch},
                  {"skipped", r.applied ? 0 : 1},
                  {"skipped_total", record.skipped_total},
                  {"source_skipped_reads", record.run_health.skipped_reads},
                  {"source_quarantined", record.run_health.quarantined}};
  log.numbers = {{"loss", r.total},
                 {"dino_loss", r.dino},
                 {"ibot_loss", r.ibot},
                 {"koleo_loss", r.koleo},
                 {"lr", v.lr},
                 {"last_layer_lr", v.last_layer_lr},
                 {"backbone_lr", v.backbone_lr},
                 {"weight_decay", v.weight_decay},
                 {"teacher_momentum", v.teacher_momentum},
                 {"teacher_temp", v.teacher_temp},
                 {"grad_norm", r.grad_norm},
                 {"teacher_entropy", r.health.teacher_entropy},
                 {"teacher_kl_to_uniform", r.health.teacher_kl_to_uniform},
                 {"student_entropy", r.health.student_entropy},
                 {"student_kl_to_uniform", r.health.student_kl_to_uniform},
                 {"prototypes_for_90pct", r.health.prototypes_for_90pct},
                 {"cls_effective_rank", r.health.cls_effective_rank},
                 {"center_norm", r.health.center_norm},
                 {"images_per_second", images_per_second(record)},
                 {"step_seconds", record.step_seconds},
                 {"data_wait_seconds", record.data_wait}};
  if (record.knn) add_knn(*record.knn, "", log);
  if (record.knn_at_start) add_knn(*record.knn_at_start, "_at_start", log);
  if (record.knn_random) add_knn(*record.knn_random, "_random", log);
  return log;
}

std::vector<std::pair<std::string, double>> progress_terms(const StepRecord& record) {
  const StepResult& r = record.result;
  std::vector<std::pair<std::string, double>> terms = {{"loss", r.total},
                                                       {"dino", r.dino},
                                                       {"ibot", r.ibot},
                                                       {"koleo", r.koleo},
                                                       {"lr", record.values.lr},
                                                       {"H(teacher)", r.health.teacher_entropy},
                                                       {"rank(CLS)", r.health.cls_effective_rank}};
  const data::SourceHealth& health = record.run_health;
  if (health.skipped_reads > 0)
    terms.emplace_back("skipped reads", static_cast<double>(health.skipped_reads));
  if (health.quarantined > 0)
    terms.emplace_back("quarantined", static_cast<double>(health.quarantined));
  return terms;
}

void add_to_timeline(const StepRecord& record, const std::vector<int64_t>& bucket_bytes,
                     bool reduce_scatter, metrics::StepTimeline& timeline) {
  using metrics::StepTimeline;
  const StepResult& r = record.result;
  const int64_t step = record.step;
  timeline.add("data wait", StepTimeline::compute, step, record.start, record.to_device);
  timeline.add("batch to device", StepTimeline::compute, step, record.to_device,
               r.phases.empty() ? std::chrono::steady_clock::now() : r.phases.front().start);
  for (const PhaseSpan& p : r.phases)
    timeline.add(p.name, StepTimeline::compute, step, p.start, p.end);
  if (record.reduce == nullptr) return;
  const std::vector<distributed::ReduceTimeline::Bucket>& buckets = record.reduce->buckets;
  for (size_t b = 0; b < buckets.size(); ++b)
    timeline.add((reduce_scatter ? "reduce-scatter bucket " : "all-reduce bucket ") +
                     std::to_string(b) + " (" + std::to_string(bucket_bytes[b] >> 10) + " KiB)",
                 StepTimeline::communication, step, buckets[b].started, buckets[b].finished);
}

}  // namespace pathodino::train
