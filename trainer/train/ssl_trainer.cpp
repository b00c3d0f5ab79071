#include "trainer/train/ssl_trainer.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ostream>

#include "models/interchange/backbone_file.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/eval/linear_probe.h"
#include "trainer/ssl/ssl_network_file.h"
#include "trainer/system/durable_file.h"
#include "trainer/system/ed25519.h"
#include "trainer/system/elapsed.h"
#include "trainer/system/sha256.h"
#include "trainer/train/run_setup.h"
#include "trainer/train/step_loop.h"

namespace pathodino::train {
namespace {

using system::seconds_since;

// A file for people (a probe result): failing to write it warns, it does not stop the run.
void write_report_file(const std::filesystem::path& file, const std::string& text) {
  try {
    system::write_file_durably(file, text);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: %s was not written: %s\n", file.string().c_str(), e.what());
  }
}

// The teacher is the model a run produces: rank 0 exports its backbone (timm/DINOv2 names) and,
// for whoever continues from it, the backbone with its heads in pathodino's and DINOv2's forms.
void export_teacher(RunParts& parts, const ExperimentConfig& config, const TrainSummary& summary,
                    distributed::Communicator& control) {
  distributed::on_rank0_for_all(control, [&] {
    models::BackboneInfo info;
    info.image_mean = config.data.mean;
    info.image_std = config.data.std;
    info.origin = "pathodino run " + config.run.name + " step " + std::to_string(summary.steps);
    ssl::SslNetwork& teacher = parts.model->teacher();
    teacher.to(torch::kCPU);
    models::export_backbone(teacher.backbone, info, summary.teacher_file);
    ssl::export_ssl_network(teacher, config.ssl, info, summary.teacher_with_heads_file);
    const std::vector<char> dinov2 = ssl::dinov2_checkpoint_bytes(teacher);
    system::write_file_durably(summary.dinov2_checkpoint_file, {dinov2.data(), dinov2.size()});
    // Signed with the checkpoints' key: Note [Signed files] in trainer/system/ed25519.h.
    if (!config.checkpoint.signing_key.empty()) {
      const auto key = system::Ed25519Key::load_private(config.checkpoint.signing_key);
      for (const auto* file : {&summary.teacher_file, &summary.teacher_with_heads_file,
                               &summary.dinov2_checkpoint_file})
        system::sign_file(*file, key);
    }
    teacher.to(parts.device.device);  // for the probe
  });
}

// The linear probe on the final teacher, embedded across ranks (every rank trains the same one).
void probe_teacher(RunParts& parts, const ExperimentConfig& config, TrainSummary& summary,
                   distributed::Communicator& control, std::ostream& progress) {
  const auto start = std::chrono::steady_clock::now();
  const eval::LinearProbeResult probe =
      eval::evaluate_linear_probe(parts.model->teacher().backbone, eval_sections(config), &control);
  summary.linear_probe_top1 = probe.val_top1;
  parts.prometheus->record_linear_probe(probe.val_top1);
  if (control.rank() != 0) return;
  const eval::EvalOptions& e = config.eval;
  const std::filesystem::path file = summary.run_dir / "linear_probe.json";
  write_report_file(
      file, fmt::format("{{\"step\": {}, \"top1\": {:.6f}, \"train_top1\": {:.6f}, \"final_loss\": "
                        "{:.6f}, \"epochs\": {}, \"lr\": {}, \"weight_decay\": {}, \"train\": {}, "
                        "\"val\": {}, \"classes\": {}}}\n",
                        summary.steps, probe.val_top1, probe.train_top1, probe.losses.back(),
                        e.linear_epochs, e.linear_lr, e.linear_weight_decay, probe.train_count,
                        probe.val_count, probe.num_classes));
  progress << fmt::format(
                  "linear probe: top-1 {:.2f}% on {} held-out images (train {:.2f}%, {} AdamW "
                  "steps; {:.1f} s) -> {}\n",
                  100 * probe.val_top1, probe.val_count, 100 * probe.train_top1, e.linear_epochs,
                  seconds_since(start), file.string())
           << std::flush;
}

// A short job's numbers outlive it in the Pushgateway; a failed push only warns.
void push_metrics(const RunParts& parts, const metrics::MetricsOptions& options, int rank,
                  std::ostream& progress) {
  if (options.pushgateway_url.empty()) return;
  const std::string failed = parts.prometheus->push();
  if (!failed.empty())
    std::fprintf(stderr, "warning: rank %d: metrics: %s\n", rank, failed.c_str());
  else if (rank == 0)
    progress << "metrics pushed to " << options.pushgateway_url << "\n" << std::flush;
}

}  // namespace

TrainSummary run_training(const TrainRequest& request, const distributed::MpiRuntime& mpi,
                          distributed::Communicator& control, std::ostream& progress) {
  const ExperimentConfig& config = request.config;
  RunParts parts = build_run(request, mpi, control, progress);
  report_start(parts, config, control, progress);

  TrainSummary summary;
  summary.world_size = control.world_size();
  summary.run_dir = parts.paths.run_dir;
  summary.metrics_file = parts.paths.run_dir / "metrics.jsonl";
  summary.first_step = parts.loop.first_step;
  summary.steps = parts.loop.total_steps;
  {
    StepLoop loop(parts, mpi, control, progress);
    const auto run_start = std::chrono::steady_clock::now();
    loop.run(summary);
    summary.seconds = seconds_since(run_start);
  }
  summary.parameter_checksum = distributed::checksum(parts.state);
  distributed::require_same_on_all_ranks(summary.parameter_checksum, "the parameters at the end",
                                         control);
  summary.images_per_second =
      static_cast<double>((summary.steps - summary.first_step) * parts.loop.global_batch) /
      std::max(1e-9, summary.seconds);

  summary.teacher_file = summary.run_dir / "teacher_backbone.safetensors";
  summary.teacher_with_heads_file = summary.run_dir / "teacher_with_heads.safetensors";
  summary.dinov2_checkpoint_file = summary.run_dir / "teacher_checkpoint.pth";
  export_teacher(parts, config, summary, control);
  if (parts.audit)
    parts.audit->record("run_end", {{{"teacher", summary.teacher_file.string()},
                                     {"teacher_sha256", system::file_sha256(summary.teacher_file)},
                                     {"last_checkpoint", summary.last_checkpoint.string()}},
                                    {{"steps", summary.steps},
                                     {"skipped_steps", summary.skipped_steps},
                                     {"world_size", summary.world_size}}});
  if (config.eval.linear_probe) probe_teacher(parts, config, summary, control, progress);
  push_metrics(parts, config.metrics, control.rank(), progress);
  return summary;
}

}  // namespace pathodino::train
