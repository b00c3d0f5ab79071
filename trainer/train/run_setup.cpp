#include "trainer/train/run_setup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "data/augment/multi_crop.h"
#include "data/index/leakage_guard.h"
#include "models/factory/backbone_factory.h"
#include "trainer/checkpoint/checkpoint_reader.h"
#include "trainer/config/random_features.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/make_communicator.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/system/aes_gcm.h"
#include "trainer/system/cpu_share.h"
#include "trainer/system/ed25519.h"
#include "trainer/system/sha256.h"
#include "trainer/train/batch_tensors.h"
#include "trainer/train/loader_options.h"
#include "trainer/train/resume.h"

namespace pathodino::train {
namespace {

// Student and teacher parameters, and every buffer, in a fixed order.
std::vector<torch::Tensor> model_state(ssl::StudentTeacher& model) {
  std::vector<torch::Tensor> state = model.student().parameters();
  for (const torch::Tensor& t : model.teacher().parameters()) state.push_back(t);
  for (auto* network : {&model.student(), &model.teacher()})
    for (const torch::Tensor& t : network->backbone->buffers()) state.push_back(t);
  return state;
}

LoopOptions loop_options(const ExperimentConfig& config, int world) {
  LoopOptions o;
  o.seed = static_cast<uint64_t>(config.run.seed);
  o.total_steps = config.optim.epochs * config.optim.iterations_per_epoch;
  o.iterations_per_epoch = config.optim.iterations_per_epoch;
  o.batch_size = config.data.batch_size_per_rank;
  o.micro_batches = config.optim.grad_accumulation_steps;
  o.global_batch = o.batch_size * o.micro_batches * world;
  o.log_every = std::max<int64_t>(1, config.run.log_every_steps);
  o.param_check_every = config.distributed.param_check_every_steps;
  o.knn_every = config.eval.knn_every_steps;
  o.timeline_start = config.metrics.timeline_start_step;
  o.timeline_steps = config.metrics.timeline_steps;
  o.prototypes = config.ssl.dino.head.n_prototypes;
  o.config_yaml = config::to_yaml(config, /*comments=*/false);
  if (config.data.source == data::SourceKind::wsi)
    o.data_ledger = {{"tile_index", std::filesystem::absolute(config.data.wsi.index).string()},
                     {"tile_index_sha256", system::file_sha256(config.data.wsi.index)}};
  o.checkpoint = config.checkpoint;
  o.collective_timeout_s = config.distributed.timeout_s;
  return o;
}

// Device, intra-op threads, and the communicator that carries gradients.
void build_compute(RunParts& parts, const ExperimentConfig& config,
                   const distributed::MpiRuntime& mpi, distributed::Communicator& control) {
  parts.device = choose_device(config.run, mpi.local_rank());
  const int64_t threads = config.run.intra_op_threads > 0
                              ? config.run.intra_op_threads
                              : system::cores_per_rank(mpi.local_size());
  torch::set_num_threads(static_cast<int>(threads));
  parts.grad_comm = &control;
  if (!parts.device.device.is_cpu() && control.world_size() > 1) {
    parts.gpu_comm = distributed::make_communicator(config.distributed, mpi, /*cuda_tensors=*/true,
                                                    parts.device.device.index());
    parts.grad_comm = parts.gpu_comm.get();
  }
}

// The model from rank 0's initialisation (or the checkpoint's state), its train step, and the
// state a checkpoint holds.
void build_model(RunParts& parts, const ExperimentConfig& config,
                 const std::optional<checkpoint::LoadedCheckpoint>& resumed,
                 distributed::Communicator& control) {
  const uint64_t seed = parts.loop.seed;
  torch::manual_seed(seed);
  parts.model = std::make_unique<ssl::StudentTeacher>(config.model, config.ssl,
                                                      config.data.global_crops_size, seed);
  parts.model->to(parts.device.device);
  parts.state = model_state(*parts.model);
  distributed::broadcast_from_rank0(parts.state, *parts.grad_comm);
  distributed::require_same_on_all_ranks(distributed::checksum(parts.state),
                                         "the parameters at start", control);
  DataParallel parallel;
  parallel.comm = parts.grad_comm;
  parallel.buckets.first_bucket_bytes =
      static_cast<int64_t>(config.distributed.first_bucket_mb * (1 << 20));
  parallel.buckets.bucket_bytes = static_cast<int64_t>(config.distributed.bucket_mb * (1 << 20));
  parallel.zero1 = config.distributed.zero1;
  parts.train_step =
      std::make_unique<TrainStep>(*parts.model, config.optim, config.run.max_consecutive_nonfinite,
                                  parts.device.bf16_autocast, parallel);
  TrainStep& step = *parts.train_step;
  parts.train_state = std::make_unique<checkpoint::TrainState>(*parts.model, step.optimizer(),
                                                               step.optimizer_layout());
  if (!resumed) return;
  parts.train_state->restore(resumed->tensors, resumed->path.string());
  const auto& counters = resumed->manifest.counters;
  const auto counter = [&](const char* key) {
    const auto it = counters.find(key);
    return it == counters.end() ? int64_t{0} : it->second;
  };
  step.guard().restore(counter("skipped_steps_total"), counter("consecutive_nonfinite"));
  distributed::require_same_on_all_ranks(distributed::checksum(parts.state),
                                         "the parameters after resuming", control);
}

// The loader: this rank's share of the sample order, from the checkpoint's position when resumed.
void build_loader(RunParts& parts, const ExperimentConfig& config,
                  std::optional<int64_t> resume_position, int local_ranks,
                  distributed::Communicator& control) {
  const LoopOptions& loop = parts.loop;
  data::BatchQueueOptions options = make_loader_options(config);
  const int64_t cores_per_rank = system::cores_per_rank(local_ranks);
  options.threads = config.data.loader_threads > 0
                        ? config.data.loader_threads
                        : std::max<int64_t>(1, cores_per_rank - torch::get_num_threads());
  parts.loader_threads = options.threads;
  options.prefetch = config.data.prefetch_batches * loop.micro_batches;
  if (parts.device.device.is_cuda()) options.allocate = pinned_host_allocator();
  options.first_micro_batch = loop.first_step * loop.micro_batches;
  parts.order = data::make_sample_order(config.data, *parts.source, loop.seed);
  parts.sampler = std::make_unique<data::ShardedSampler>(parts.order.order, control.rank(),
                                                         control.world_size(), loop.micro_batches);
  if (resume_position) parts.sampler->resume_at(loop.first_step, *resume_position);
  parts.queue = std::make_unique<data::BatchQueue>(
      parts.source, data::MultiCropAugment(config.data), *parts.sampler, options);
}

// This rank's Prometheus endpoint. A port that is taken must not cost the run: the rank warns and
// trains on without an endpoint.
std::unique_ptr<metrics::TrainingMetrics> start_metrics(const ExperimentConfig& config, int rank,
                                                        int local_rank) {
  try {
    return std::make_unique<metrics::TrainingMetrics>(config.metrics, config.run.name, rank,
                                                      local_rank);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: rank %d: %s; training goes on without /metrics\n", rank,
                 e.what());
    metrics::MetricsOptions without = config.metrics;
    without.prometheus = false;
    return std::make_unique<metrics::TrainingMetrics>(without, config.run.name, rank, local_rank);
  }
}

// The leakage guard: no slide or patient of data.wsi.exclude's manifests in the training index.
void refuse_leaks(const data::WsiOptions& wsi, const data::Pseudonyms* pseudonyms) {
  const data::TileIndex index(wsi.index);
  const std::vector<std::string> leaks =
      data::find_leaks(index.slides(), data::read_excluded(wsi.exclude, wsi.patient_column),
                       wsi.patient_column, pseudonyms);
  if (!leaks.empty())
    throw std::runtime_error("data.wsi.exclude: " + data::leak_report(leaks, wsi.index));
}

// This rank's draw log, appended to by a resumed run.
std::unique_ptr<std::ofstream> open_draw_log(const std::filesystem::path& run_dir, int rank) {
  const std::filesystem::path file = run_dir / "draws" / fmt::format("rank_{}.csv", rank);
  std::filesystem::create_directories(file.parent_path());
  const bool fresh = !std::filesystem::exists(file) || std::filesystem::file_size(file) == 0;
  auto log = std::make_unique<std::ofstream>(file, std::ios::app);
  if (!*log) throw std::runtime_error(file.string() + ": cannot be written (audit.draw_log)");
  if (fresh) *log << "step,rank,index\n";
  return log;
}

// The run's audit trail, opened with the run's start (and the checkpoint it resumes from).
std::unique_ptr<audit::AuditTrail> start_audit(
    const RunParts& parts, const ExperimentConfig& config,
    const std::optional<checkpoint::LoadedCheckpoint>& resumed, int world_size) {
  auto trail =
      std::make_unique<audit::AuditTrail>(parts.paths.run_dir / audit::kRunAuditLog, config.audit);
  trail->verify();
  trail->record("run_start", {{{"run", config.run.name},
                               {"run_dir", parts.paths.run_dir.string()},
                               {"config_sha256", system::sha256_hex(parts.loop.config_yaml)}},
                              {{"world_size", world_size},
                               {"first_step", parts.loop.first_step},
                               {"total_steps", parts.loop.total_steps}}});
  if (resumed)
    trail->record(
        "checkpoint_load",
        {{{"checkpoint", resumed->path.string()},
          {"manifest_sha256", system::file_sha256(resumed->path / checkpoint::kManifestFile)}},
         {{"step", resumed->manifest.step}, {"world_size", resumed->manifest.world_size}}});
  return trail;
}

// The checkpoint the run resumes from. Key files that cannot be used stop the run here, before
// its first save.
std::optional<checkpoint::LoadedCheckpoint> resume_checkpoint(const TrainRequest& request,
                                                              const RunParts& parts,
                                                              distributed::Communicator& control,
                                                              std::ostream& progress) {
  const checkpoint::CheckpointOptions& saves = request.config.checkpoint;
  distributed::on_rank0_for_all(control, [&] {
    if (!saves.signing_key.empty()) system::Ed25519Key::load_private(saves.signing_key);
    if (!saves.public_key.empty()) system::Ed25519Key::load_public(saves.public_key);
  });
  if (!saves.encryption_key.empty()) system::AesKey::load(saves.encryption_key);  // every rank
  ResumeRequest resume;
  resume.spec = request.resume;
  resume.checkpoints = parts.paths.checkpoints;
  resume.fallback_to_previous = saves.fallback_to_previous;
  resume.seed = parts.loop.seed;
  resume.config_yaml = parts.loop.config_yaml;
  resume.keys = {saves.public_key, saves.require_signature, saves.encryption_key};
  return load_resume_checkpoint(resume, control, progress);
}

}  // namespace

RunParts build_run(const TrainRequest& request, const distributed::MpiRuntime& mpi,
                   distributed::Communicator& control, std::ostream& progress) {
  const ExperimentConfig& config = request.config;
  const int rank = control.rank();
  RunParts parts;
  if (config.privacy.pseudonymise) {  // every rank names the slides its lines mention
    parts.pseudonyms.emplace(system::AesKey::load(config.privacy.key_file).secret());
  }
  const data::Pseudonyms* pseudonyms = parts.pseudonyms ? &*parts.pseudonyms : nullptr;
  if (config.data.source == data::SourceKind::wsi && !config.data.wsi.exclude.empty())
    distributed::on_rank0_for_all(control, [&] { refuse_leaks(config.data.wsi, pseudonyms); });
  parts.paths = run_paths(config.run, config.checkpoint);
  parts.loop = loop_options(config, control.world_size());
  std::optional<checkpoint::LoadedCheckpoint> resumed =
      resume_checkpoint(request, parts, control, progress);
  parts.loop.first_step = resumed ? resumed->manifest.step : 0;
  build_compute(parts, config, mpi, control);
  parts.source =
      data::make_image_source(config.data, parts.loop.seed, data::Split::train, rank, pseudonyms);
  if (config.eval.knn_every_steps > 0) {
    parts.knn = std::make_unique<eval::LiveKnn>(eval_sections(config), control);
    if (config.eval.report_seeds > 0) {
      parts.knn_random = models::build_backbone(config::random_feature_config(config).model,
                                                config.data.global_crops_size, 0);
      (*parts.knn_random)->to(parts.device.device);
    }
  }
  parts.schedules =
      optim::make_training_schedules(config.optim, config.ssl, parts.loop.global_batch);
  parts.loop.warmups_end = std::min(parts.schedules->warmups_end, parts.loop.total_steps - 1);
  build_model(parts, config, resumed, control);

  distributed::on_rank0_for_all(control, [&] {
    // --resume auto on a run without a checkpoint yet starts it again from the beginning.
    prepare_run_dir(parts.paths, request.overwrite || request.resume == "auto",
                    resumed ? std::optional<int64_t>(parts.loop.first_step) : std::nullopt);
    std::ofstream(parts.paths.run_dir / "config.yaml") << parts.loop.config_yaml;
    parts.log = std::make_unique<metrics::JsonlLog>(parts.paths.run_dir / "metrics.jsonl");
    parts.audit = start_audit(parts, config, resumed, control.world_size());
  });
  if (config.audit.draw_log) parts.draw_log = open_draw_log(parts.paths.run_dir, rank);
  std::optional<int64_t> resume_position;
  if (resumed) resume_position = resumed->manifest.sampler.position;
  resumed.reset();  // the restored tensors are no longer needed
  build_loader(parts, config, resume_position, mpi.local_size(), control);
  parts.prometheus = start_metrics(config, rank, mpi.local_rank());
  return parts;
}

}  // namespace pathodino::train
