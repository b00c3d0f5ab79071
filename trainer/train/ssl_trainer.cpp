#include "trainer/train/ssl_trainer.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <ostream>
#include <thread>

#include "data/augment/multi_crop.h"
#include "data/loader/batch_queue.h"
#include "data/seed_mix.h"
#include "data/source/source_factory.h"
#include "models/interchange/backbone_file.h"
#include "trainer/checkpoint/checkpoint_reader.h"
#include "trainer/checkpoint/checkpoint_writer.h"
#include "trainer/checkpoint/train_state.h"
#include "trainer/config/resolve.h"
#include "trainer/distributed/make_communicator.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/eval/linear_probe.h"
#include "trainer/eval/live_knn.h"
#include "trainer/metrics/jsonl_log.h"
#include "trainer/metrics/progress_line.h"
#include "trainer/metrics/step_timeline.h"
#include "trainer/metrics/training_metrics.h"
#include "trainer/optim/schedules.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/system/cpu_share.h"
#include "trainer/system/cuda_memory.h"
#include "trainer/system/durable_file.h"
#include "trainer/system/elapsed.h"
#include "trainer/train/batch_tensors.h"
#include "trainer/train/collapse_watch.h"
#include "trainer/train/device_choice.h"
#include "trainer/train/loader_options.h"
#include "trainer/train/train_step.h"

namespace pathodino::train {
namespace {

using Clock = std::chrono::steady_clock;

using system::seconds_since;

// Keeps the log lines of the steps before `first_step` (a resumed run rewrites what follows).
void truncate_log(const std::filesystem::path& file, int64_t first_step) {
  std::ifstream in(file);
  std::string kept, line;
  while (std::getline(in, line)) {
    const auto at = line.find("\"step\":");
    if (at == std::string::npos) continue;
    if (std::stoll(line.substr(at + 7)) < first_step) kept += line + "\n";
  }
  in.close();
  system::write_file_durably(file, kept);
}

// A fresh run refuses a folder (or checkpoint directory) that holds a run unless told to
// overwrite it; a resumed run keeps both and drops the log lines from its first step on.
void prepare_run_dir(const RunOptions& run, bool overwrite, std::optional<int64_t> resumed_step,
                     const std::filesystem::path& checkpoints) {
  const std::filesystem::path dir = std::filesystem::path(run.output_dir) / run.name;
  if (resumed_step) {
    std::filesystem::create_directories(dir);
    if (std::filesystem::exists(dir / "metrics.jsonl"))
      truncate_log(dir / "metrics.jsonl", *resumed_step);
    return;
  }
  const bool has_checkpoints =
      !checkpoint::CheckpointDirectory(checkpoints).complete_steps().empty();
  if (std::filesystem::exists(dir / "metrics.jsonl") || has_checkpoints) {
    if (!overwrite)
      throw std::runtime_error(
          (std::filesystem::exists(dir / "metrics.jsonl") ? dir : checkpoints).string() +
          " already holds a run; pass --resume auto to continue it, "
          "--overwrite to replace it, or choose another run.name");
    std::filesystem::remove(dir / "metrics.jsonl");
    std::filesystem::remove_all(checkpoints);
  }
  std::filesystem::create_directories(dir);
}

int64_t threads_for_intra_op(const RunOptions& run, int local_ranks) {
  if (run.intra_op_threads > 0) return run.intra_op_threads;
  return system::cores_per_rank(local_ranks);
}

data::SourceHealth sum_over_ranks(const data::SourceHealth& mine, distributed::Communicator& comm) {
  torch::Tensor counts = torch::tensor({mine.skipped_reads, mine.quarantined}, torch::kInt64);
  comm.all_reduce_sum(counts, "source health counts");
  return {counts[0].item<int64_t>(), counts[1].item<int64_t>()};
}

// Student and teacher parameters, and every buffer, in a fixed order.
std::vector<torch::Tensor> model_state(ssl::StudentTeacher& model) {
  std::vector<torch::Tensor> state = model.student().parameters();
  for (const torch::Tensor& t : model.teacher().parameters()) state.push_back(t);
  for (auto* network : {&model.student(), &model.teacher()})
    for (const torch::Tensor& t : network->backbone->buffers()) state.push_back(t);
  return state;
}

// What a step leaves for Prometheus: the step's values, this rank's phase times and traffic.
metrics::StepMetrics step_metrics(int64_t step, int64_t global_batch, double step_seconds,
                                  double data_wait, const StepValues& values, const StepResult& r,
                                  const distributed::GradientReducer* reducer,
                                  int64_t gradient_bytes, const data::SourceHealth& health) {
  metrics::StepMetrics m;
  m.step = step + 1;
  m.images = global_batch;
  m.images_per_second = static_cast<double>(global_batch) / std::max(1e-9, step_seconds);
  m.loss = r.total;
  m.dino = r.dino;
  m.ibot = r.ibot;
  m.koleo = r.koleo;
  m.lr = values.lr;
  m.weight_decay = values.weight_decay;
  m.teacher_momentum = values.teacher_momentum;
  m.teacher_temp = values.teacher_temp;
  m.grad_norm = r.grad_norm;
  m.teacher_entropy = r.health.teacher_entropy;
  m.student_entropy = r.health.student_entropy;
  m.teacher_kl_to_uniform = r.health.teacher_kl_to_uniform;
  m.student_kl_to_uniform = r.health.student_kl_to_uniform;
  m.prototypes_for_90pct = r.health.prototypes_for_90pct;
  m.cls_effective_rank = r.health.cls_effective_rank;
  m.center_norm = r.health.center_norm;
  m.applied = r.applied;
  m.step_seconds = step_seconds;
  m.data_wait = data_wait;
  m.forward = r.forward_seconds;
  m.backward = r.backward_seconds;
  m.optimizer = r.optimizer_seconds;
  if (reducer != nullptr && r.backward_seconds > 0) {
    const distributed::ReduceTimeline& t = reducer->last_timeline();
    for (const auto& bucket : t.buckets)
      m.allreduce_busy += std::chrono::duration<double>(bucket.finished - bucket.started).count();
    m.allreduce_exposed = std::chrono::duration<double>(t.all_done - t.backward_end).count();
    m.allreduce_bytes = gradient_bytes;
  }
  m.skipped_reads_total = health.skipped_reads;
  m.quarantined_slides = health.quarantined;
  return m;
}

// A file for people (a probe result): failing to write it warns, it does not stop the run.
void write_report_file(const std::filesystem::path& file, const std::string& text) {
  try {
    system::write_file_durably(file, text);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: %s was not written: %s\n", file.string().c_str(), e.what());
  }
}

// Resume: rank 0 chooses and verifies the checkpoint (falling back when configured), every rank
// loads that one; nullopt for a fresh run (or `auto` before the first checkpoint).
std::optional<checkpoint::LoadedCheckpoint> load_resume_checkpoint(
    const std::string& spec, const std::filesystem::path& checkpoints_root,
    const ExperimentConfig& config, const std::string& config_yaml,
    distributed::Communicator& control, std::ostream& progress) {
  std::optional<checkpoint::LoadedCheckpoint> resumed;
  if (spec.empty()) return resumed;
  const bool rank0 = control.rank() == 0;
  std::string chosen;
  distributed::on_rank0_for_all(control, [&] {
    auto choice = checkpoint::choose_resume_checkpoint(spec, checkpoints_root,
                                                       config.checkpoint.fallback_to_previous);
    if (!choice) return;
    for (const std::string& warning : choice->warnings) progress << "warning: " << warning << "\n";
    chosen = choice->checkpoint.path.string();
    resumed = std::move(choice->checkpoint);
  });
  chosen = distributed::broadcast_text(chosen, control);
  if (chosen.empty()) return resumed;
  if (!rank0) resumed = checkpoint::load_checkpoint(chosen);
  const checkpoint::Manifest& m = resumed->manifest;
  if (rank0) {
    const int world = control.world_size();
    progress << "resuming from " << chosen << ": step " << m.step << ", sample position "
             << m.sampler.position << " (epoch " << m.sampler.epoch() << "), written by "
             << m.world_size << " rank(s)"
             << (m.world_size != world ? ", resharded to " + std::to_string(world) : "") << "\n";
    if (m.config_hash != distributed::checksum(config_yaml))
      progress << "warning: the config differs from the one the checkpoint was written with "
                  "(see its config.yaml)\n";
  }
  const auto seed = static_cast<uint64_t>(config.run.seed);
  if (m.sampler.seed != seed)
    throw std::runtime_error(chosen + ": written by a run with seed " +
                             std::to_string(m.sampler.seed) + ", this config has run.seed " +
                             std::to_string(seed));
  return resumed;
}

}  // namespace

TrainSummary run_training(const TrainRequest& request, const distributed::MpiRuntime& mpi,
                          distributed::Communicator& control, std::ostream& progress) {
  const ExperimentConfig& config = request.config;
  const auto seed = static_cast<uint64_t>(config.run.seed);
  const int rank = control.rank(), world = control.world_size();
  const bool rank0 = rank == 0;

  // Build: everything that can refuse the config happens before the run folder is touched.
  const std::filesystem::path run_dir =
      std::filesystem::path(config.run.output_dir) / config.run.name;
  const std::string config_yaml = config::to_yaml(config, /*comments=*/false);
  const std::filesystem::path checkpoints_root =
      config.checkpoint.directory.empty() ? run_dir / "checkpoints"
                                          : std::filesystem::path(config.checkpoint.directory);

  std::optional<checkpoint::LoadedCheckpoint> resumed = load_resume_checkpoint(
      request.resume, checkpoints_root, config, config_yaml, control, progress);
  const int64_t first_step = resumed ? resumed->manifest.step : 0;
  const DeviceChoice device = choose_device(config.run, mpi.local_rank());
  torch::set_num_threads(static_cast<int>(threads_for_intra_op(config.run, mpi.local_size())));
  std::unique_ptr<distributed::Communicator> gpu_comm;
  distributed::Communicator* grad_comm = &control;
  if (!device.device.is_cpu() && world > 1) {
    gpu_comm = distributed::make_communicator(config.distributed, mpi, /*cuda_tensors=*/true,
                                              device.device.index());
    grad_comm = gpu_comm.get();
  }
  auto source = data::make_image_source(config.data, seed, data::Split::train, rank);
  std::unique_ptr<eval::LiveKnn> knn;
  if (config.eval.knn_every_steps > 0) knn = std::make_unique<eval::LiveKnn>(config, control);
  const int64_t batch_size = config.data.batch_size_per_rank;
  const int64_t micro = config.optim.grad_accumulation_steps;
  const int64_t global_batch = batch_size * micro * world;
  const optim::TrainingSchedules schedules =
      optim::make_training_schedules(config.optim, config.ssl, global_batch);
  const int64_t total_steps = config.optim.epochs * config.optim.iterations_per_epoch;

  torch::manual_seed(seed);
  ssl::StudentTeacher model(config.model, config.ssl, config.data.global_crops_size, seed);
  model.to(device.device);
  const std::vector<torch::Tensor> state = model_state(model);
  distributed::broadcast_from_rank0(state, *grad_comm);
  distributed::require_same_on_all_ranks(distributed::checksum(state), "the parameters at start",
                                         control);
  DataParallel parallel;
  parallel.comm = grad_comm;
  parallel.buckets.first_bucket_bytes =
      static_cast<int64_t>(config.distributed.first_bucket_mb * (1 << 20));
  parallel.buckets.bucket_bytes = static_cast<int64_t>(config.distributed.bucket_mb * (1 << 20));
  parallel.zero1 = config.distributed.zero1;
  TrainStep train_step(model, config.optim, config.run.max_consecutive_nonfinite,
                       device.bf16_autocast, parallel);
  const distributed::OptimizerShards* shards = train_step.optimizer_shards();
  checkpoint::TrainState train_state(model, train_step.optimizer(), train_step.optimizer_layout());
  if (resumed) {
    train_state.restore(resumed->tensors, resumed->path.string());
    const auto& counters = resumed->manifest.counters;
    const auto counter = [&](const char* key) {
      const auto it = counters.find(key);
      return it == counters.end() ? int64_t{0} : it->second;
    };
    train_step.guard().restore(counter("skipped_steps_total"), counter("consecutive_nonfinite"));
    distributed::require_same_on_all_ranks(distributed::checksum(state),
                                           "the parameters after resuming", control);
  }

  std::unique_ptr<metrics::JsonlLog> log;
  distributed::on_rank0_for_all(control, [&] {
    // --resume auto on a run without a checkpoint yet starts it again from the beginning.
    prepare_run_dir(config.run, request.overwrite || request.resume == "auto",
                    resumed ? std::optional<int64_t>(first_step) : std::nullopt, checkpoints_root);
    std::ofstream(run_dir / "config.yaml") << config_yaml;
    log = std::make_unique<metrics::JsonlLog>(run_dir / "metrics.jsonl");
  });

  data::BatchQueueOptions queue_options = make_loader_options(config);
  const int64_t cores_per_rank = system::cores_per_rank(mpi.local_size());
  queue_options.threads = config.data.loader_threads > 0
                              ? config.data.loader_threads
                              : std::max<int64_t>(1, cores_per_rank - torch::get_num_threads());
  queue_options.prefetch = config.data.prefetch_batches * micro;
  const bool pinned = device.device.is_cuda();
  if (pinned) queue_options.allocate = pinned_host_allocator();
  queue_options.first_micro_batch = first_step * micro;
  const data::SampleOrderChoice order = data::make_sample_order(config.data, *source, seed);
  data::ShardedSampler sampler(order.order, rank, world, micro);
  if (resumed) sampler.resume_at(first_step, resumed->manifest.sampler.position);
  resumed.reset();  // the restored tensors are no longer needed
  data::BatchQueue queue(source, data::MultiCropAugment(config.data), sampler, queue_options);

  // Optimizer state per rank (ZeRO-1 divides it), gathered for the start-up report.
  int64_t optimizer_bytes = 0;
  for (const checkpoint::NamedTensor& t : train_state.tensors())
    if (t.name.starts_with("optim.") && !t.tensor.is_meta())
      optimizer_bytes += static_cast<int64_t>(t.tensor.nbytes());
  const torch::Tensor optimizer_bytes_per_rank = control.all_gather(
      torch::tensor({optimizer_bytes}, torch::kInt64), "all_gather(optimizer state bytes)");

  // Prometheus endpoint of this rank. A port that is taken must not cost the run: the rank warns
  // and trains on without an endpoint.
  std::unique_ptr<metrics::TrainingMetrics> prometheus;
  try {
    prometheus = std::make_unique<metrics::TrainingMetrics>(config.metrics, config.run.name, rank,
                                                            mpi.local_rank());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: rank %d: %s; training goes on without /metrics\n", rank,
                 e.what());
    metrics::MetricsOptions without = config.metrics;
    without.prometheus = false;
    prometheus = std::make_unique<metrics::TrainingMetrics>(without, config.run.name, rank,
                                                            mpi.local_rank());
  }
  const int64_t gradient_bytes = [&] {
    int64_t bytes = 0;
    if (const distributed::GradientReducer* reducer = train_step.reducer())
      for (int64_t b : reducer->bucket_sizes_bytes()) bytes += b;
    return bytes;
  }();

  if (rank0) {
    progress << "run " << config.run.name << ": " << model.student().backbone->spec().name() << ", "
             << models::count_parameters(*model.student().backbone) << " backbone parameters, "
             << train_step.optimizer().group_count() << " optimizer groups, " << total_steps
             << " steps of " << global_batch << " images (" << world << " rank(s) x " << micro
             << " micro-batch(es) x " << batch_size << ") on " << device.device.str()
             << (device.bf16_autocast ? " (bf16 autocast)" : " (fp32)") << ", "
             << torch::get_num_threads() << " intra-op thread(s) per rank\n";
    if (const distributed::GradientReducer* reducer = train_step.reducer()) {
      progress << "  data parallel: " << grad_comm->backend() << ", " << reducer->bucket_count()
               << " gradient bucket(s) of";
      for (int64_t bytes : reducer->bucket_sizes_bytes())
        progress << " " << static_cast<double>(bytes) / (1 << 20);
      progress << " MiB\n";
    }
    progress << "  optimizer state (MB) per rank:";
    for (int r = 0; r < world; ++r)
      progress << " " << static_cast<double>(optimizer_bytes_per_rank[r][0].item<int64_t>()) / 1e6;
    progress << (shards ? " (ZeRO-1: sharded across ranks)" : "") << "\n";
    progress << "  data: " << source->describe() << ", " << queue_options.threads
             << " loader thread(s) per rank\n"
             << "  sampling: " << order.description << "\n"
             << "  checkpoints: " << checkpoints_root.string() << ", every "
             << config.checkpoint.every_steps << " step(s) and at the end, keeping the last "
             << config.checkpoint.keep_last << "\n"
             << "  metrics: "
             << (prometheus->url().empty()
                     ? std::string("no Prometheus endpoint on rank 0")
                     : prometheus->url() + " (rank r: port " +
                           std::to_string(config.metrics.port_base) + " + its local rank)")
             << (config.metrics.pushgateway_url.empty()
                     ? std::string()
                     : ", pushed to " + config.metrics.pushgateway_url + " at the end")
             << "\n";
    if (config.metrics.timeline_steps > 0 && config.metrics.timeline_start_step < total_steps)
      progress << "  timeline: steps " << config.metrics.timeline_start_step << " to "
               << config.metrics.timeline_start_step + config.metrics.timeline_steps - 1 << " -> "
               << (run_dir / "timeline.json").string() << "\n";
    if (knn)
      progress << "  kNN monitor: every " << config.eval.knn_every_steps
               << " step(s) and at the end, teacher backbone, k=" << config.eval.knn_k
               << ", T=" << config.eval.knn_temperature << ", across " << world << " rank(s)\n";
    progress << std::flush;
  }

  // Loop.
  TrainSummary summary;
  summary.world_size = world;
  summary.run_dir = run_dir;
  summary.metrics_file = run_dir / "metrics.jsonl";
  summary.first_step = first_step;
  // The checkpoint's collectives on their own communicator, whose thread does not preempt
  // training when the async save's background thread waits on them: a woken thread would take
  // the training thread's core at a step boundary (system/background_thread.h).
  distributed::MpiCommunicator checkpoint_comm(mpi.world(), config.distributed.timeout_s,
                                               /*background=*/true);
  checkpoint::CheckpointWriter writer(checkpoint::CheckpointDirectory(checkpoints_root),
                                      config.checkpoint, checkpoint_comm);
  const auto run_start = Clock::now();
  double recent_seconds = 0;
  int64_t recent_steps = 0;
  const int64_t check_every = config.distributed.param_check_every_steps;
  const int64_t log_every = std::max<int64_t>(1, config.run.log_every_steps);
  CollapseWatch collapse_watch(config.ssl.dino.head.n_prototypes,
                               std::min(schedules.warmups_end, total_steps - 1));
  data::SourceHealth health;  // summed over ranks at every progress line
  if (config.checkpoint.async_save) {
    writer.prepare_async(train_state.tensors());
    train_step.set_before_state_update([&writer] { writer.wait_until_staged(); });
  }
  // A failed save under checkpoint.on_save_failure: stop, acted on at the next save's step, where
  // every rank has its outcome (an async save's outcome reaches the ranks at different steps).
  std::string stop_for_failed_save;
  const auto report = [&](const checkpoint::SaveOutcome& saved) {
    summary.checkpoint_blocking_seconds += saved.blocking_seconds;
    prometheus->record_checkpoint(
        {saved.ok, saved.step, saved.bytes, saved.seconds, saved.blocking_seconds});
    if (saved.ok) {
      summary.last_checkpoint = saved.path;
      if (rank0)
        progress << "checkpoint " << saved.path.string() << ": "
                 << static_cast<double>(saved.bytes) / 1e6 << " MB in " << saved.seconds << " s ("
                 << saved.blocking_seconds << " s blocking training)\n"
                 << std::flush;
      return;
    }
    ++summary.failed_saves;
    if (config.checkpoint.on_save_failure == checkpoint::OnSaveFailure::stop) {
      stop_for_failed_save = saved.error + " (checkpoint.on_save_failure: stop)";
      return;
    }
    if (rank0)
      progress << "warning: " << saved.error
               << "; the previous checkpoint stays latest, training continues\n"
               << std::flush;
  };
  // At every step boundary: report a background save that has ended; start a save when due
  // (after the step's log line, so that a resumed run's log is complete). At most one save is in
  // flight: a due save first finishes the previous one. The last save is synchronous. True when a
  // save started.
  const auto checkpoint_step = [&](int64_t step, bool last) {
    if (writer.in_flight())
      if (auto saved = writer.poll()) report(*saved);
    const int64_t every = config.checkpoint.every_steps;
    if (!last && (every <= 0 || (step + 1) % every != 0)) return false;
    if (writer.in_flight()) report(writer.finish());
    if (!stop_for_failed_save.empty()) throw std::runtime_error(stop_for_failed_save);
    checkpoint::Manifest manifest;
    manifest.step = step + 1;
    manifest.config_yaml = config_yaml;
    manifest.config_hash = distributed::checksum(config_yaml);
    manifest.sampler = {seed, sampler.position_at(step + 1, batch_size),
                        order.order->epoch_length()};
    manifest.counters = {{"skipped_steps_total", train_step.skipped_total()},
                         {"consecutive_nonfinite", train_step.guard().consecutive()}};
    manifest.rng = "none stored: every random stream derives from (run.seed, step, rank, image)";
    if (config.checkpoint.async_save && !last) {
      writer.start_async(train_state.tensors(), std::move(manifest));
    } else {
      report(writer.save(train_state.tensors(), std::move(manifest)));
      if (!stop_for_failed_save.empty()) throw std::runtime_error(stop_for_failed_save);
    }
    return true;
  };
  // The kNN monitor: the teacher scored across ranks; `steps_done` is the x of its curve.
  const auto monitor_knn = [&](int64_t steps_done) {
    const auto start = Clock::now();
    const eval::KnnReport k = knn->evaluate(model.teacher().backbone);
    prometheus->record_knn(steps_done, k.top1);
    summary.knn_top1 = k.top1;
    if (rank0)
      progress << fmt::format(
                      "knn after {} step(s): top-1 {:.2f}% ({} bank / {} query images, "
                      "{:.1f} s)\n",
                      steps_done, 100 * k.top1, k.bank_size, k.query_count, seconds_since(start))
               << std::flush;
    return k.top1;
  };
  // The step timeline: the window's phases of every rank, joined by rank 0 at its last step.
  metrics::StepTimeline timeline(config.metrics.timeline_start_step, config.metrics.timeline_steps,
                                 rank);
  const std::vector<int64_t> bucket_bytes =
      train_step.reducer() ? train_step.reducer()->bucket_sizes_bytes() : std::vector<int64_t>{};
  const auto trace_buckets = [&](int64_t step) {
    const distributed::ReduceTimeline& t = train_step.reducer()->last_timeline();
    for (size_t b = 0; b < t.buckets.size(); ++b)
      timeline.add((shards ? "reduce-scatter bucket " : "all-reduce bucket ") + std::to_string(b) +
                       " (" + std::to_string(bucket_bytes[b] >> 10) + " KiB)",
                   metrics::StepTimeline::communication, step, t.buckets[b].started,
                   t.buckets[b].finished);
  };
  const auto end_of_step = [&](int64_t step, bool last) {
    const auto start = Clock::now();
    const bool saved = checkpoint_step(step, last);
    if (!timeline.in_window(step)) return;
    if (saved)
      timeline.add("checkpoint", metrics::StepTimeline::compute, step, start, Clock::now());
    if (!timeline.is_last(step) && !last) return;
    train_step.set_synchronize_phases(false);
    const std::vector<std::string> ranks =
        distributed::all_gather_text(timeline.events_json(), control, "timeline events");
    if (!rank0) return;
    try {
      metrics::write_chrome_trace(run_dir / "timeline.json", ranks);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "warning: the timeline was not written: %s\n", e.what());
      return;
    }
    progress << "timeline: " << (run_dir / "timeline.json").string() << " (steps "
             << config.metrics.timeline_start_step << " to " << step << ", " << world
             << " rank(s); open in ui.perfetto.dev)\n"
             << std::flush;
  };
  std::optional<double> knn_at_start;
  if (knn && first_step == 0) knn_at_start = monitor_knn(0);
  for (int64_t step = first_step; step < total_steps; ++step) {
    control.set_step(step);
    // Every random stream of a step derives from (seed, step, rank): a resumed run draws exactly
    // what the uninterrupted one would have, with no generator state to carry.
    torch::manual_seed(
        data::mix_seed({seed, static_cast<uint64_t>(step), static_cast<uint64_t>(rank), 0xd409}));
    if (grad_comm != &control) grad_comm->set_step(step);
    if (timeline.in_window(step) && (timeline.is_first(step) || step == first_step)) {
      control.barrier("barrier(timeline start)");
      timeline.start(Clock::now());
      train_step.set_synchronize_phases(true);
    }
    const auto step_start = Clock::now();
    std::vector<data::MultiCropBatch> batches;
    for (int64_t m = 0; m < micro; ++m) batches.push_back(queue.next());
    const double data_wait = seconds_since(step_start);
    const auto to_device_start = Clock::now();
    std::vector<ssl::SslBatch> inputs;
    for (data::MultiCropBatch& batch : batches)
      inputs.push_back(to_ssl_batch(batch, device.device, pinned));
    const StepValues values = step_values(schedules, step);
    const StepResult r = train_step(inputs, step, values);
    if (timeline.in_window(step)) {
      timeline.add("data wait", metrics::StepTimeline::compute, step, step_start, to_device_start);
      timeline.add("batch to device", metrics::StepTimeline::compute, step, to_device_start,
                   r.phases.empty() ? Clock::now() : r.phases.front().start);
      for (const PhaseSpan& p : r.phases)
        timeline.add(p.name, metrics::StepTimeline::compute, step, p.start, p.end);
      if (train_step.reducer() && r.backward_seconds > 0) trace_buckets(step);
    }
    if (check_every > 0 && (step + 1) % check_every == 0)
      distributed::require_same_on_all_ranks(distributed::checksum(state),
                                             "the parameters after step " + std::to_string(step),
                                             control);
    const bool last = step + 1 == total_steps;
    std::optional<double> knn_top1;
    if (knn && ((step + 1) % config.eval.knn_every_steps == 0 || last)) {
      const auto start = Clock::now();
      knn_top1 = monitor_knn(step + 1);
      timeline.add("knn", metrics::StepTimeline::compute, step, start, Clock::now());
    }
    const bool progress_step = (step + 1) % log_every == 0 || last;
    if (progress_step) health = sum_over_ranks(source->health(), control);
    if (r.applied) collapse_watch.add(r.dino);
    std::optional<std::string> collapse_warning;
    if (progress_step) collapse_warning = collapse_watch.check(step, r.health.teacher_entropy);
    const double step_seconds = seconds_since(step_start);
    recent_seconds += step_seconds;
    ++recent_steps;
    metrics::StepMetrics step_numbers =
        step_metrics(step, global_batch, step_seconds, data_wait, values, r, train_step.reducer(),
                     gradient_bytes, source->health());
    if (const auto memory =
            system::cuda_memory(device.device.is_cuda() ? device.device.index() : -1)) {
      step_numbers.cuda_allocated_bytes = memory->allocated_bytes;
      step_numbers.cuda_reserved_bytes = memory->reserved_bytes;
    }
    step_numbers.log_prototypes = collapse_watch.log_prototypes();
    step_numbers.uniform_collapse = collapse_watch.collapsed();
    prometheus->record_step(step_numbers);
    if (!rank0) {
      end_of_step(step, last);
      continue;
    }

    metrics::LogRecord record;
    record.integers = {{"step", step},
                       {"epoch", step / config.optim.iterations_per_epoch},
                       {"skipped", r.applied ? 0 : 1},
                       {"skipped_total", train_step.skipped_total()},
                       {"source_skipped_reads", health.skipped_reads},
                       {"source_quarantined", health.quarantined}};
    record.numbers = {{"loss", r.total},
                      {"dino_loss", r.dino},
                      {"ibot_loss", r.ibot},
                      {"koleo_loss", r.koleo},
                      {"lr", values.lr},
                      {"last_layer_lr", values.last_layer_lr},
                      {"weight_decay", values.weight_decay},
                      {"teacher_momentum", values.teacher_momentum},
                      {"teacher_temp", values.teacher_temp},
                      {"grad_norm", r.grad_norm},
                      {"teacher_entropy", r.health.teacher_entropy},
                      {"teacher_kl_to_uniform", r.health.teacher_kl_to_uniform},
                      {"student_entropy", r.health.student_entropy},
                      {"student_kl_to_uniform", r.health.student_kl_to_uniform},
                      {"prototypes_for_90pct", r.health.prototypes_for_90pct},
                      {"cls_effective_rank", r.health.cls_effective_rank},
                      {"center_norm", r.health.center_norm},
                      {"images_per_second", static_cast<double>(global_batch) / step_seconds},
                      {"step_seconds", step_seconds},
                      {"data_wait_seconds", data_wait}};
    // kNN after this step; the run's first line also carries the kNN of the initialisation.
    if (knn_top1) record.numbers.emplace_back("knn_top1", *knn_top1);
    if (knn_at_start && step == first_step)
      record.numbers.emplace_back("knn_top1_at_start", *knn_at_start);
    log->write(record);

    if (progress_step) {
      metrics::Progress p;
      p.step = step + 1;
      p.total_steps = total_steps;
      p.seconds_per_step = recent_seconds / static_cast<double>(recent_steps);
      p.images_per_second = static_cast<double>(global_batch) / p.seconds_per_step;
      p.terms = {{"loss", r.total},
                 {"dino", r.dino},
                 {"ibot", r.ibot},
                 {"koleo", r.koleo},
                 {"lr", values.lr},
                 {"H(teacher)", r.health.teacher_entropy},
                 {"rank(CLS)", r.health.cls_effective_rank}};
      if (health.skipped_reads > 0) p.terms.emplace_back("skipped reads", health.skipped_reads);
      if (health.quarantined > 0) p.terms.emplace_back("quarantined", health.quarantined);
      progress << metrics::progress_line(p) << "\n";
      if (collapse_warning) progress << *collapse_warning << "\n";
      progress << std::flush;
      recent_seconds = 0;
      recent_steps = 0;
    }
    end_of_step(step, last);
  }
  summary.parameter_checksum = distributed::checksum(state);
  distributed::require_same_on_all_ranks(summary.parameter_checksum, "the parameters at the end",
                                         control);

  // Finish: the teacher backbone is the model a run produces.
  summary.steps = total_steps;
  summary.skipped_steps = train_step.skipped_total();
  summary.source_health = health;
  summary.seconds = seconds_since(run_start);
  summary.images_per_second = static_cast<double>((total_steps - first_step) * global_batch) /
                              std::max(1e-9, summary.seconds);
  summary.teacher_file = run_dir / "teacher_backbone.safetensors";
  distributed::on_rank0_for_all(control, [&] {
    models::BackboneInfo info;
    info.image_mean = config.data.mean;
    info.image_std = config.data.std;
    info.origin = "pathodino run " + config.run.name + " step " + std::to_string(total_steps);
    model.teacher().backbone->to(torch::kCPU);
    models::export_backbone(model.teacher().backbone, info, summary.teacher_file);
    model.teacher().backbone->to(device.device);  // for the probe
  });
  // The linear probe on the final teacher, embedded across ranks (every rank trains the same one).
  if (config.eval.linear_probe) {
    const auto start = Clock::now();
    const eval::LinearProbeResult probe =
        eval::evaluate_linear_probe(model.teacher().backbone, config, &control);
    summary.linear_probe_top1 = probe.val_top1;
    prometheus->record_linear_probe(probe.val_top1);
    if (rank0) {
      write_report_file(
          run_dir / "linear_probe.json",
          fmt::format("{{\"step\": {}, \"top1\": {:.6f}, \"train_top1\": {:.6f}, \"final_loss\": "
                      "{:.6f}, \"epochs\": {}, \"lr\": {}, \"weight_decay\": {}, \"train\": {}, "
                      "\"val\": {}, \"classes\": {}}}\n",
                      total_steps, probe.val_top1, probe.train_top1, probe.losses.back(),
                      config.eval.linear_epochs, config.eval.linear_lr,
                      config.eval.linear_weight_decay, probe.train_count, probe.val_count,
                      probe.num_classes));
      progress << fmt::format(
                      "linear probe: top-1 {:.2f}% on {} held-out images (train {:.2f}%, {} AdamW "
                      "steps; {:.1f} s) -> {}\n",
                      100 * probe.val_top1, probe.val_count, 100 * probe.train_top1,
                      config.eval.linear_epochs, seconds_since(start),
                      (run_dir / "linear_probe.json").string())
               << std::flush;
    }
  }

  // A short job's numbers outlive it in the Pushgateway; a failed push only warns.
  if (!config.metrics.pushgateway_url.empty()) {
    const std::string failed = prometheus->push();
    if (!failed.empty())
      std::fprintf(stderr, "warning: rank %d: metrics: %s\n", rank, failed.c_str());
    else if (rank0)
      progress << "metrics pushed to " << config.metrics.pushgateway_url << "\n" << std::flush;
  }
  return summary;
}

}  // namespace pathodino::train
