#include "trainer/train/step_loop.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <numeric>
#include <ostream>

#include "data/seed_mix.h"
#include "trainer/distributed/rank_consistency.h"
#include "trainer/metrics/progress_line.h"
#include "trainer/system/elapsed.h"
#include "trainer/system/sha256.h"
#include "trainer/train/batch_tensors.h"

namespace pathodino::train {
namespace {

using Clock = std::chrono::steady_clock;
using system::seconds_since;

data::SourceHealth sum_over_ranks(const data::SourceHealth& mine, distributed::Communicator& comm) {
  torch::Tensor counts = torch::tensor({mine.skipped_reads, mine.quarantined}, torch::kInt64);
  comm.all_reduce_sum(counts, "source health counts");
  return {counts[0].item<int64_t>(), counts[1].item<int64_t>()};
}

// " (random X%)" after a kNN score, when random features were scored.
std::string random_level(const std::optional<KnnRecord>& random, double KnnRecord::*score) {
  return random ? fmt::format(" (random {:.2f}%)", 100 * (*random).*score) : "";
}

}  // namespace

StepLoop::StepLoop(RunParts& parts, const distributed::MpiRuntime& mpi,
                   distributed::Communicator& control, std::ostream& progress)
    : parts_(parts),
      options_(parts.loop),
      control_(control),
      progress_(progress),
      rank0_(control.rank() == 0),
      checkpoint_comm_(mpi.world(), parts.loop.collective_timeout_s, /*background=*/true),
      cadence_(checkpoint::CheckpointDirectory(parts.paths.checkpoints), parts.loop.checkpoint,
               checkpoint_comm_, *parts.train_state,
               [this](const checkpoint::SaveOutcome& saved, bool run_stops) {
                 report_save(saved, run_stops);
               }),
      timeline_(parts.loop.timeline_start, parts.loop.timeline_steps, control.rank()),
      collapse_watch_(parts.loop.prototypes, parts.loop.warmups_end) {
  if (const distributed::GradientReducer* reducer = parts.train_step->reducer())
    bucket_bytes_ = reducer->bucket_sizes_bytes();
  gradient_bytes_ = std::accumulate(bucket_bytes_.begin(), bucket_bytes_.end(), int64_t{0});
  if (cadence_.in_background())
    parts.train_step->set_before_state_update([this] { cadence_.before_state_update(); });
}

StepLoop::~StepLoop() {
  if (cadence_.in_background()) parts_.train_step->set_before_state_update(nullptr);
}

void StepLoop::record_save(const checkpoint::SaveOutcome& saved) {
  if (saved.ok) {
    audit::AuditFields fields{
        {{"checkpoint", saved.path.string()},
         {"manifest_sha256", system::file_sha256(saved.path / checkpoint::kManifestFile)}},
        {{"step", saved.step}, {"bytes", saved.bytes}}};
    if (!saved.signed_by.empty()) fields.texts.emplace_back("signed_by_key", saved.signed_by);
    if (!saved.encrypted_with.empty())
      fields.texts.emplace_back("encrypted_with_key", saved.encrypted_with);
    parts_.audit->record("checkpoint_save", fields);
  } else
    parts_.audit->record("checkpoint_save_failed",
                         {{{"error", saved.error}}, {{"step", saved.step}}});
}

void StepLoop::report_save(const checkpoint::SaveOutcome& saved, bool run_stops) {
  parts_.prometheus->record_checkpoint(
      {saved.ok, saved.step, saved.bytes, saved.seconds, saved.blocking_seconds});
  if (parts_.audit) record_save(saved);
  if (!rank0_ || run_stops) return;  // a stopping run says why when it stops
  if (saved.ok)
    progress_ << "checkpoint " << saved.path.string() << ": "
              << static_cast<double>(saved.bytes) / 1e6 << " MB in " << saved.seconds << " s ("
              << saved.blocking_seconds << " s blocking training)\n";
  else
    progress_ << "warning: " << saved.error
              << "; the previous checkpoint stays latest, training continues\n";
  progress_ << std::flush;
}

checkpoint::Manifest StepLoop::manifest_after(int64_t steps_done) const {
  checkpoint::Manifest manifest;
  manifest.step = steps_done;
  manifest.config_yaml = options_.config_yaml;
  manifest.config_hash = distributed::checksum(options_.config_yaml);
  manifest.data = options_.data_ledger;
  manifest.sampler = {options_.seed, parts_.sampler->position_at(steps_done, options_.batch_size),
                      parts_.order.order->epoch_length()};
  manifest.counters = {{"skipped_steps_total", parts_.train_step->skipped_total()},
                       {"consecutive_nonfinite", parts_.train_step->guard().consecutive()}};
  manifest.rng = "none stored: every random stream derives from (run.seed, step, rank, image)";
  return manifest;
}

// The kNN monitor: the teacher scored across ranks; `steps_done` is the x of its curve.
KnnRecord StepLoop::monitor_knn(int64_t steps_done) {
  const auto start = Clock::now();
  const eval::KnnReport k = parts_.knn->evaluate(parts_.model->teacher().backbone);
  KnnRecord record{k.top1, k.scores.overall.balanced, {}, k.robustness_index};
  std::vector<metrics::KnnGroup> groups;
  std::string details;
  for (const eval::GroupAccuracy& g : k.scores.groups) {
    groups.push_back({g.group, g.top1, g.balanced});
    record.group_balanced.emplace_back(g.group, g.balanced);
    if (g.group == k.scores.worst_group)
      details = fmt::format(", worst {} {} {:.2f}%", k.scores.column, g.group, 100 * g.balanced);
  }
  parts_.prometheus->record_knn(steps_done, k.top1, k.scores.overall.balanced, groups);
  if (k.robustness_index) {
    parts_.prometheus->record_robustness_index(*k.robustness_index);
    details += fmt::format(", Robustness Index {:.3f}", *k.robustness_index);
  }
  knn_latest_ = k.top1;
  if (rank0_)
    progress_ << fmt::format(
                     "knn after {} step(s): top-1 {:.2f}%{}, balanced {:.2f}%{}{} ({} bank / {} "
                     "query images, {:.1f} s)\n",
                     steps_done, 100 * k.top1, random_level(knn_random_, &KnnRecord::top1),
                     100 * k.scores.overall.balanced,
                     random_level(knn_random_, &KnnRecord::balanced), details, k.bank_size,
                     k.query_count, seconds_since(start))
              << std::flush;
  return record;
}

// Random features of the same architecture through the monitor, once: each later kNN line shows
// their level next to the teacher's (Note [Random-feature yardstick]).
void StepLoop::score_random_features() {
  const auto start = Clock::now();
  const eval::KnnReport k = parts_.knn->evaluate(*parts_.knn_random);
  parts_.knn_random.reset();
  parts_.prometheus->record_knn_random(k.top1, k.scores.overall.balanced);
  knn_random_ = KnnRecord{k.top1, k.scores.overall.balanced, {}, k.robustness_index};
  for (const eval::GroupAccuracy& g : k.scores.groups)
    knn_random_->group_balanced.emplace_back(g.group, g.balanced);
  if (rank0_)
    progress_ << fmt::format(
                     "knn of random features without LayerScale (init seed 0): top-1 {:.2f}%, "
                     "balanced {:.2f}% ({:.1f} s)\n",
                     100 * k.top1, 100 * k.scores.overall.balanced, seconds_since(start))
              << std::flush;
}

StepRecord StepLoop::train(int64_t step) {
  control_.set_step(step);
  // Every random stream of a step derives from (seed, step, rank): a resumed run draws exactly
  // what the uninterrupted one would have, with no generator state to carry.
  torch::manual_seed(data::mix_seed({options_.seed, static_cast<uint64_t>(step),
                                     static_cast<uint64_t>(control_.rank()), 0xd409}));
  if (parts_.grad_comm != &control_) parts_.grad_comm->set_step(step);
  TrainStep& train_step = *parts_.train_step;
  if (timeline_.in_window(step) && (timeline_.is_first(step) || step == options_.first_step)) {
    control_.barrier("barrier(timeline start)");
    timeline_.start(Clock::now());
    train_step.set_synchronize_phases(true);
  }
  StepRecord record;
  record.step = step;
  record.epoch = step / options_.iterations_per_epoch;
  record.global_batch = options_.global_batch;
  record.start = Clock::now();
  std::vector<data::MultiCropBatch> batches;
  for (int64_t m = 0; m < options_.micro_batches; ++m) batches.push_back(parts_.queue->next());
  record.data_wait = seconds_since(record.start);
  if (parts_.draw_log) {
    for (const data::MultiCropBatch& batch : batches)
      for (const int64_t index : batch.indices)
        *parts_.draw_log << step << ',' << control_.rank() << ',' << index << '\n';
    parts_.draw_log->flush();
  }
  record.to_device = Clock::now();
  const bool pinned = parts_.device.device.is_cuda();
  std::vector<ssl::SslBatch> inputs;
  for (data::MultiCropBatch& batch : batches)
    inputs.push_back(to_ssl_batch(batch, parts_.device.device, pinned));
  record.values = step_values(*parts_.schedules, step);
  record.result = train_step(inputs, step, record.values);
  record.skipped_total = train_step.skipped_total();
  if (train_step.reducer() && record.result.backward_seconds > 0)
    record.reduce = &train_step.reducer()->last_timeline();
  record.gradient_bytes = gradient_bytes_;
  if (timeline_.in_window(step))
    add_to_timeline(record, bucket_bytes_, train_step.optimizer_shards() != nullptr, timeline_);
  return record;
}

void StepLoop::monitor(StepRecord& record, bool last) {
  const int64_t step = record.step;
  const int64_t check_every = options_.param_check_every;
  if (check_every > 0 && (step + 1) % check_every == 0)
    distributed::require_same_on_all_ranks(distributed::checksum(parts_.state),
                                           "the parameters after step " + std::to_string(step),
                                           control_);
  if (parts_.knn && ((step + 1) % options_.knn_every == 0 || last)) {
    const auto start = Clock::now();
    record.knn = monitor_knn(step + 1);
    timeline_.add("knn", metrics::StepTimeline::compute, step, start, Clock::now());
  }
  if (step == options_.first_step) {
    record.knn_at_start = knn_at_start_;
    record.knn_random = knn_random_;
  }
  record.rank_health = parts_.source->health();
  if (record.result.applied) collapse_watch_.add(record.result.dino);
  record.log_prototypes = collapse_watch_.log_prototypes();
  record.cuda_memory =
      system::cuda_memory(parts_.device.device.is_cuda() ? parts_.device.device.index() : -1);
}

void StepLoop::report(const StepRecord& record, bool progress_step,
                      const std::optional<std::string>& collapse_warning) {
  parts_.prometheus->record_step(prometheus_step(record));
  if (!rank0_) return;
  parts_.log->write(log_record(record));
  if (!progress_step) return;
  metrics::Progress p;
  p.step = record.step + 1;
  p.total_steps = options_.total_steps;
  p.seconds_per_step = recent_seconds_ / static_cast<double>(recent_steps_);
  p.images_per_second = static_cast<double>(options_.global_batch) / p.seconds_per_step;
  p.terms = progress_terms(record);
  progress_ << metrics::progress_line(p) << "\n";
  if (collapse_warning) progress_ << *collapse_warning << "\n";
  progress_ << std::flush;
}

// The step timeline: the window's phases of every rank, joined by rank 0 at its last step.
void StepLoop::write_timeline(int64_t step) {
  parts_.train_step->set_synchronize_phases(false);
  const std::vector<std::string> ranks =
      distributed::all_gather_text(timeline_.events_json(), control_, "timeline events");
  if (!rank0_) return;
  const std::filesystem::path file = parts_.paths.run_dir / "timeline.json";
  try {
    metrics::write_chrome_trace(file, ranks);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: the timeline was not written: %s\n", e.what());
    return;
  }
  progress_ << "timeline: " << file.string() << " (steps " << options_.timeline_start << " to "
            << step << ", " << control_.world_size() << " rank(s); open in ui.perfetto.dev)\n"
            << std::flush;
}

void StepLoop::end_of_step(int64_t step, bool last) {
  const auto start = Clock::now();
  const bool saved = cadence_.at_step_end(
      step, last, [this](int64_t steps_done) { return manifest_after(steps_done); });
  if (!timeline_.in_window(step)) return;
  if (saved) timeline_.add("checkpoint", metrics::StepTimeline::compute, step, start, Clock::now());
  if (timeline_.is_last(step) || last) write_timeline(step);
}

void StepLoop::run(TrainSummary& summary) {
  if (parts_.knn_random) score_random_features();
  if (parts_.knn && options_.first_step == 0) knn_at_start_ = monitor_knn(0);
  for (int64_t step = options_.first_step; step < options_.total_steps; ++step) {
    const bool last = step + 1 == options_.total_steps;
    StepRecord record = train(step);
    monitor(record, last);
    const bool progress_step = (step + 1) % options_.log_every == 0 || last;
    std::optional<std::string> collapse_warning;
    if (progress_step) {
      health_ = sum_over_ranks(record.rank_health, control_);
      collapse_warning = collapse_watch_.check(step, record.result.health.teacher_entropy);
    }
    record.run_health = health_;
    record.uniform_collapse = collapse_watch_.collapsed();
    record.step_seconds = seconds_since(record.start);
    recent_seconds_ += record.step_seconds;
    ++recent_steps_;
    report(record, progress_step, collapse_warning);
    if (progress_step) {
      recent_seconds_ = 0;
      recent_steps_ = 0;
    }
    end_of_step(step, last);
  }
  summary.skipped_steps = parts_.train_step->skipped_total();
  summary.source_health = health_;
  summary.knn_top1 = knn_latest_;
  summary.last_checkpoint = cadence_.last_checkpoint();
  summary.failed_saves = cadence_.failed_saves();
  summary.checkpoint_blocking_seconds = cadence_.blocking_seconds();
}

}  // namespace pathodino::train
