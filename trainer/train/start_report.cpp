// report_start (run_setup.h): the lines a run prints before its first step.
#include <ostream>
#include <string>

#include "trainer/train/run_setup.h"

namespace pathodino::train {
namespace {

// Optimizer state per rank (ZeRO-1 divides it), gathered from every rank.
torch::Tensor optimizer_bytes_per_rank(const RunParts& parts, distributed::Communicator& control) {
  int64_t bytes = 0;
  for (const checkpoint::NamedTensor& t : parts.train_state->tensors())
    if (t.name.starts_with("optim.") && !t.tensor.is_meta())
      bytes += static_cast<int64_t>(t.tensor.nbytes());
  return control.all_gather(torch::tensor({bytes}, torch::kInt64),
                            "all_gather(optimizer state bytes)");
}

void report_compute(const RunParts& parts, const std::string& run_name,
                    const torch::Tensor& optimizer_bytes, std::ostream& progress) {
  const LoopOptions& loop = parts.loop;
  const TrainStep& step = *parts.train_step;
  const int world = static_cast<int>(optimizer_bytes.size(0));
  progress << "run " << run_name << ": " << parts.model->student().backbone->spec().name() << ", "
           << models::count_parameters(*parts.model->student().backbone) << " backbone parameters, "
           << parts.train_step->optimizer().group_count() << " optimizer groups, "
           << loop.total_steps << " steps of " << loop.global_batch << " images (" << world
           << " rank(s) x " << loop.micro_batches << " micro-batch(es) x " << loop.batch_size
           << ") on " << parts.device.device.str()
           << (parts.device.bf16_autocast ? " (bf16 autocast)" : " (fp32)") << ", "
           << torch::get_num_threads() << " intra-op thread(s) per rank\n";
  if (const distributed::GradientReducer* reducer = step.reducer()) {
    progress << "  data parallel: " << parts.grad_comm->backend() << ", " << reducer->bucket_count()
             << " gradient bucket(s) of";
    for (int64_t bytes : reducer->bucket_sizes_bytes())
      progress << " " << static_cast<double>(bytes) / (1 << 20);
    progress << " MiB\n";
  }
  progress << "  optimizer state (MB) per rank:";
  for (int r = 0; r < world; ++r)
    progress << " " << static_cast<double>(optimizer_bytes[r][0].item<int64_t>()) / 1e6;
  progress << (step.optimizer_shards() ? " (ZeRO-1: sharded across ranks)" : "") << "\n";
}

void report_services(const RunParts& parts, const ExperimentConfig& config, int world,
                     std::ostream& progress) {
  const metrics::MetricsOptions& m = config.metrics;
  progress
      << "  data: " << parts.source->describe() << ", " << parts.loader_threads
      << " loader thread(s) per rank"
      << (config.data.device_augment
              ? " (crop and resample; colour, blur, solarize, HED and normalisation batched on "
                "the " +
                    parts.device.device.str() + " device)"
              : "")
      << "\n"
      << "  sampling: " << parts.order.description << "\n"
      << "  checkpoints: " << parts.paths.checkpoints.string() << ", every "
      << config.checkpoint.every_steps << " step(s) and at the end, keeping the last "
      << config.checkpoint.keep_last << "\n"
      << "  metrics: "
      << (parts.prometheus->url().empty() ? std::string("no Prometheus endpoint on rank 0")
                                          : parts.prometheus->url() + " (rank r: port " +
                                                std::to_string(m.port_base) + " + its local rank)")
      << (m.pushgateway_url.empty() ? std::string()
                                    : ", pushed to " + m.pushgateway_url + " at the end")
      << "\n";
  if (m.timeline_steps > 0 && m.timeline_start_step < parts.loop.total_steps)
    progress << "  timeline: steps " << m.timeline_start_step << " to "
             << m.timeline_start_step + m.timeline_steps - 1 << " -> "
             << (parts.paths.run_dir / "timeline.json").string() << "\n";
  if (parts.knn)
    progress << "  kNN monitor: every " << config.eval.knn_every_steps
             << " step(s) and at the end, teacher backbone, k=" << config.eval.knn_k
             << ", T=" << config.eval.knn_temperature << ", across " << world << " rank(s)\n";
}

// Where the weights come from, for a run that continues from a file: the heads loaded with the
// backbone or initialised, and the heads-only warm-up.
void report_continual(const RunParts& parts, const ExperimentConfig& config,
                      std::ostream& progress) {
  if (config.model.pretrained.empty()) return;
  progress << "  continues from " << config.model.pretrained << ": backbone"
           << (parts.model->heads_pretrained() ? " and heads" : "; heads initialised (none in it)");
  if (config.optim.heads_only_steps > 0)
    progress << "; heads only for " << config.optim.heads_only_steps
             << " step(s), then the backbone's lr re-warmed";
  progress << "\n";
}

}  // namespace

void report_start(const RunParts& parts, const ExperimentConfig& config,
                  distributed::Communicator& control, std::ostream& progress) {
  const torch::Tensor optimizer_bytes = optimizer_bytes_per_rank(parts, control);
  if (control.rank() != 0) return;
  report_compute(parts, config.run.name, optimizer_bytes, progress);
  report_continual(parts, config, progress);
  report_services(parts, config, control.world_size(), progress);
  progress << std::flush;
}

}  // namespace pathodino::train
