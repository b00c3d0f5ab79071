// The step loop of a training run, on every rank: for each step, the micro-batches from the queue,
// the schedules' values, the train step (forward, guard, backward with bucketed all-reduce, clip,
// optimizer, EMA), the monitors (parameter checksum across ranks, kNN, collapse watch), one step
// record for every report (metrics.jsonl, Prometheus, the progress line, the timeline), and the
// checkpoint cadence at the step boundary.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <vector>

#include "trainer/checkpoint/checkpoint_cadence.h"
#include "trainer/distributed/mpi_communicator.h"
#include "trainer/distributed/mpi_runtime.h"
#include "trainer/eval/knn_evaluation.h"
#include "trainer/metrics/step_timeline.h"
#include "trainer/train/collapse_watch.h"
#include "trainer/train/run_setup.h"
#include "trainer/train/ssl_trainer.h"
#include "trainer/train/step_record.h"

namespace pathodino::train {

class StepLoop {
 public:
  StepLoop(RunParts& parts, const distributed::MpiRuntime& mpi, distributed::Communicator& control,
           std::ostream& progress);
  ~StepLoop();  // the train step no longer calls into this loop
  StepLoop(const StepLoop&) = delete;
  StepLoop& operator=(const StepLoop&) = delete;

  // From loop.first_step to the last step; fills the summary's step, checkpoint, kNN and
  // source-health fields.
  void run(TrainSummary& summary);

 private:
  StepRecord train(int64_t step);               // data, the train step, its timeline events
  void monitor(StepRecord& record, bool last);  // checksums, kNN, source health, collapse
  void report(const StepRecord& record, bool progress_step,
              const std::optional<std::string>& collapse_warning);
  void end_of_step(int64_t step, bool last);  // checkpoint cadence, timeline file
  KnnRecord monitor_knn(int64_t steps_done);
  void score_random_features();                            // the kNN monitor's yardstick, once
  void record_save(const checkpoint::SaveOutcome& saved);  // in the audit trail (rank 0)
  void report_save(const checkpoint::SaveOutcome& saved, bool run_stops);
  checkpoint::Manifest manifest_after(int64_t steps_done) const;
  void write_timeline(int64_t step);

  RunParts& parts_;
  const LoopOptions& options_;
  distributed::Communicator& control_;
  std::ostream& progress_;
  const bool rank0_;
  // The checkpoint's collectives on their own communicator, whose thread does not preempt
  // training when the async save's background thread waits on them: a woken thread would take
  // the training thread's core at a step boundary (system/background_thread.h).
  distributed::MpiCommunicator checkpoint_comm_;
  checkpoint::CheckpointCadence cadence_;
  metrics::StepTimeline timeline_;
  CollapseWatch collapse_watch_;
  std::vector<int64_t> bucket_bytes_;
  int64_t gradient_bytes_ = 0;
  data::SourceHealth health_;  // summed over ranks at every progress line
  double recent_seconds_ = 0;  // since the last progress line
  int64_t recent_steps_ = 0;
  std::optional<KnnRecord> knn_at_start_;
  std::optional<KnnRecord> knn_random_;
  std::optional<double> knn_latest_;
};

}  // namespace pathodino::train
