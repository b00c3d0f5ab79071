#include "trainer/metrics/training_metrics.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "trainer/metrics/metrics_server.h"
#include "trainer/metrics/pushgateway.h"

namespace pathodino::metrics {
namespace {

constexpr MetricType gauge = MetricType::gauge, counter = MetricType::counter;

void declare_all(MetricRegistry& r) {
  r.declare("pathodino_step", gauge, "Training steps completed.");
  r.declare("pathodino_images_total", counter, "Images of the global batch trained on.");
  r.declare("pathodino_images_per_second", gauge, "Global-batch images per second, last step.");
  r.declare("pathodino_loss", gauge, "Loss of the last step by term (mean over ranks).");
  r.declare("pathodino_learning_rate", gauge, "Learning rate of the last step.");
  r.declare("pathodino_weight_decay", gauge, "Weight decay of the last step.");
  r.declare("pathodino_teacher_momentum", gauge, "EMA momentum of the teacher, last step.");
  r.declare("pathodino_teacher_temperature", gauge, "Teacher softmax temperature, last step.");
  r.declare("pathodino_grad_norm", gauge, "Global gradient L2 norm before clipping, last step.");
  r.declare(
      "pathodino_teacher_entropy", gauge,
      "Mean per-sample entropy of the teacher's DINO targets, nats (log K: uniform collapse).");
  r.declare("pathodino_student_entropy", gauge,
            "Mean per-sample entropy of the student's DINO softmax over all crops, nats.");
  r.declare("pathodino_kl_to_uniform", gauge,
            "KL(mean distribution over the batch || uniform) by network, nats (log K: one "
            "prototype takes every sample).");
  r.declare("pathodino_log_prototypes", gauge,
            "log K of the DINO head: the entropy of a uniform target (divide entropies by it).");
  r.declare("pathodino_prototypes_for_90pct_mass", gauge,
            "Fewest prototypes carrying 90% of the teacher's mean target mass.");
  r.declare("pathodino_cls_effective_rank", gauge,
            "RankMe effective rank of the teacher's CLS embeddings of the global batch.");
  r.declare("pathodino_center_norm", gauge, "L2 norm of the DINO softmax center.");
  r.declare("pathodino_uniform_collapse", gauge,
            "1 while the DINO loss sits at log K after warm-up (the teacher's targets are "
            "uniform), else 0.");
  r.declare("pathodino_nonfinite_steps_total", counter, "Steps skipped as non-finite.");
  r.declare("pathodino_step_seconds", gauge, "Wall time of the last step on this rank.");
  r.declare("pathodino_phase_seconds_total", counter,
            "Time spent by this rank per step phase (data_wait, forward, backward, optimizer).");
  r.declare("pathodino_allreduce_seconds_total", counter,
            "Gradient all-reduce transfer time (busy) and the part not hidden behind backward "
            "(exposed).");
  r.declare("pathodino_allreduce_bytes_total", counter, "Gradient bytes reduced by this rank.");
  r.declare("pathodino_skipped_reads_total", counter,
            "Tiles this rank could not read and replaced.");
  r.declare("pathodino_quarantined_slides", gauge, "Slides this rank stopped reading.");
  r.declare("pathodino_checkpoint_saves_total", counter, "Checkpoint saves by outcome.");
  r.declare("pathodino_checkpoint_bytes_total", counter, "Tensor bytes of committed checkpoints.");
  r.declare("pathodino_checkpoint_save_seconds", gauge,
            "Last committed save: from staging to commit (total) and time training was blocked.");
  r.declare("pathodino_last_checkpoint_step", gauge, "Step of the newest committed checkpoint.");
  r.declare("pathodino_resident_memory_bytes", gauge, "Resident set size of this rank.");
  r.declare("pathodino_cuda_memory_bytes", gauge,
            "CUDA memory of this rank's device held by LibTorch's caching allocator (allocated: in "
            "live tensors; reserved: taken from the driver).");
  r.declare("pathodino_knn_top1_ratio", gauge,
            "Latest kNN top-1 accuracy of the teacher on the labelled set (0-1).");
  r.declare("pathodino_knn_balanced_ratio", gauge,
            "Latest kNN balanced accuracy (mean recall over classes) of the teacher (0-1).");
  r.declare("pathodino_knn_group_top1_ratio", gauge,
            "Latest kNN top-1 of the queries of one group (eval.group_column, e.g. site) (0-1).");
  r.declare("pathodino_knn_group_balanced_ratio", gauge,
            "Latest kNN balanced accuracy of the queries of one group (0-1).");
  r.declare("pathodino_robustness_index_ratio", gauge,
            "Latest Robustness Index of the teacher's features on the labelled set: neighbours of "
            "the same class from another site against those of another class from the same site "
            "(0-1, higher: the tissue rather than the site decides).");
  r.declare("pathodino_knn_random_ratio", gauge,
            "kNN accuracy (measure: top1, balanced) of random features of the same architecture "
            "without LayerScale (init seed 0), scored once at the start: the level the teacher's "
            "kNN gauges are read against (0-1).");
  r.declare("pathodino_knn_step", gauge, "Steps completed when the latest kNN was measured.");
  r.declare("pathodino_linear_probe_top1_ratio", gauge,
            "Held-out top-1 of the linear probe on the final teacher (0-1).");
}

}  // namespace

TrainingMetrics::TrainingMetrics(const MetricsOptions& options, const std::string& run, int rank,
                                 int local_rank)
    : registry_({{"rank", std::to_string(rank)}, {"run", run}}),
      pushgateway_url_(options.pushgateway_url),
      run_(run),
      rank_(rank) {
  declare_all(registry_);
  record_memory();
  if (options.prometheus) {
    EndpointSecurity security{{}, options.tls_certificate, options.tls_private_key};
    if (!options.bearer_token_file.empty())
      security.bearer_token = read_bearer_token(options.bearer_token_file);
    server_ =
        std::make_unique<MetricsServer>(registry_, options.bind_address,
                                        static_cast<int>(options.port_base + local_rank), security);
  }
}

TrainingMetrics::~TrainingMetrics() = default;

std::string TrainingMetrics::url() const { return server_ ? server_->url() : std::string(); }

std::string TrainingMetrics::push() const {
  if (pushgateway_url_.empty()) return "";
  return push_to_gateway(pushgateway_url_, run_, rank_, registry_.render());
}

void TrainingMetrics::record_step(const StepMetrics& s) {
  MetricRegistry& r = registry_;
  r.set("pathodino_step", static_cast<double>(s.step));
  r.add("pathodino_images_total", static_cast<double>(s.images));
  r.set("pathodino_images_per_second", s.images_per_second);
  if (s.applied) {
    r.set("pathodino_loss", s.loss, {{"term", "total"}});
    r.set("pathodino_loss", s.dino, {{"term", "dino"}});
    r.set("pathodino_loss", s.ibot, {{"term", "ibot"}});
    r.set("pathodino_loss", s.koleo, {{"term", "koleo"}});
    r.set("pathodino_grad_norm", s.grad_norm);
    r.set("pathodino_teacher_entropy", s.teacher_entropy);
    r.set("pathodino_student_entropy", s.student_entropy);
    r.set("pathodino_kl_to_uniform", s.teacher_kl_to_uniform, {{"network", "teacher"}});
    r.set("pathodino_kl_to_uniform", s.student_kl_to_uniform, {{"network", "student"}});
    r.set("pathodino_prototypes_for_90pct_mass", s.prototypes_for_90pct);
    r.set("pathodino_cls_effective_rank", s.cls_effective_rank);
    r.set("pathodino_center_norm", s.center_norm);
  }
  r.set("pathodino_log_prototypes", s.log_prototypes);
  r.set("pathodino_uniform_collapse", s.uniform_collapse ? 1.0 : 0.0);
  r.set("pathodino_learning_rate", s.lr);
  r.set("pathodino_weight_decay", s.weight_decay);
  r.set("pathodino_teacher_momentum", s.teacher_momentum);
  r.set("pathodino_teacher_temperature", s.teacher_temp);
  r.add("pathodino_nonfinite_steps_total", s.applied ? 0.0 : 1.0);
  r.set("pathodino_step_seconds", s.step_seconds);
  r.add("pathodino_phase_seconds_total", s.data_wait, {{"phase", "data_wait"}});
  r.add("pathodino_phase_seconds_total", s.forward, {{"phase", "forward"}});
  r.add("pathodino_phase_seconds_total", s.backward, {{"phase", "backward"}});
  r.add("pathodino_phase_seconds_total", s.optimizer, {{"phase", "optimizer"}});
  r.add("pathodino_allreduce_seconds_total", s.allreduce_busy, {{"part", "busy"}});
  r.add("pathodino_allreduce_seconds_total", s.allreduce_exposed, {{"part", "exposed"}});
  r.add("pathodino_allreduce_bytes_total", static_cast<double>(s.allreduce_bytes));
  r.set("pathodino_quarantined_slides", static_cast<double>(s.quarantined_slides));
  // The source counts reads since the start; the counter takes what is new.
  r.add("pathodino_skipped_reads_total",
        static_cast<double>(std::max<int64_t>(0, s.skipped_reads_total - skipped_reads_seen_)));
  skipped_reads_seen_ = std::max(skipped_reads_seen_, s.skipped_reads_total);
  if (s.cuda_allocated_bytes >= 0) {
    r.set("pathodino_cuda_memory_bytes", static_cast<double>(s.cuda_allocated_bytes),
          {{"kind", "allocated"}});
    r.set("pathodino_cuda_memory_bytes", static_cast<double>(s.cuda_reserved_bytes),
          {{"kind", "reserved"}});
  }
  record_memory();
}

void TrainingMetrics::record_checkpoint(const CheckpointMetrics& c) {
  MetricRegistry& r = registry_;
  r.add("pathodino_checkpoint_saves_total", 1.0, {{"outcome", c.ok ? "committed" : "failed"}});
  r.add("pathodino_checkpoint_saves_total", 0.0, {{"outcome", c.ok ? "failed" : "committed"}});
  if (!c.ok) return;
  r.add("pathodino_checkpoint_bytes_total", static_cast<double>(c.bytes));
  r.set("pathodino_checkpoint_save_seconds", c.seconds, {{"part", "total"}});
  r.set("pathodino_checkpoint_save_seconds", c.blocking_seconds, {{"part", "blocking"}});
  r.set("pathodino_last_checkpoint_step", static_cast<double>(c.step));
}

void TrainingMetrics::record_robustness_index(double index) {
  registry_.set("pathodino_robustness_index_ratio", index);
}

void TrainingMetrics::record_knn(int64_t step, double top1, double balanced,
                                 const std::vector<KnnGroup>& groups) {
  registry_.set("pathodino_knn_top1_ratio", top1);
  registry_.set("pathodino_knn_balanced_ratio", balanced);
  for (const KnnGroup& g : groups) {
    registry_.set("pathodino_knn_group_top1_ratio", g.top1, {{"group", g.group}});
    registry_.set("pathodino_knn_group_balanced_ratio", g.balanced, {{"group", g.group}});
  }
  registry_.set("pathodino_knn_step", static_cast<double>(step));
}

void TrainingMetrics::record_knn_random(double top1, double balanced) {
  registry_.set("pathodino_knn_random_ratio", top1, {{"measure", "top1"}});
  registry_.set("pathodino_knn_random_ratio", balanced, {{"measure", "balanced"}});
}

void TrainingMetrics::record_linear_probe(double top1) {
  registry_.set("pathodino_linear_probe_top1_ratio", top1);
}

void TrainingMetrics::record_memory() {
  long pages_total = 0, pages_resident = 0;
  std::ifstream statm("/proc/self/statm");
  if (statm >> pages_total >> pages_resident)
    registry_.set("pathodino_resident_memory_bytes",
                  static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
}

}  // namespace pathodino::metrics
