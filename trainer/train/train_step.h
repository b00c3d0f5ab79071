// TrainStep: one optimisation step of the student and teacher, in DINOv2's order —
//   schedule values → for each micro-batch: forward (teacher targets, student losses) →
//   non-finite guard (on the losses of all ranks) → backward (gradient buckets all-reduced while
//   it runs, on the last micro-batch) → center update → per-module gradient clipping → guard on
//   the gradient norm → AdamW step → EMA teacher update.
// The trainer loop and the step benchmark both run exactly this. With a communicator of more than
// one rank, gradients are averaged over ranks by a GradientReducer; every decision (skip a step,
// stop the run) is taken on values that are identical on every rank, so ranks never part ways.
// Under ZeRO-1 the buckets are reduce-scattered instead, clipping and AdamW work on this rank's
// chunks, and the parameters are all-gathered before the EMA update
// (distributed/optimizer_shards.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "trainer/distributed/communicator.h"
#include "trainer/distributed/gradient_reducer.h"
#include "trainer/distributed/optimizer_shards.h"
#include "trainer/optim/optim_options.h"
#include "trainer/optim/scheduled_adamw.h"
#include "trainer/optim/schedules.h"
#include "trainer/ssl/collectives.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/train/nonfinite_guard.h"

namespace pathodino::train {

struct StepValues {
  double lr = 0, last_layer_lr = 0, weight_decay = 0, teacher_momentum = 0, teacher_temp = 0;
  double backbone_lr = 0;
};

StepValues step_values(const optim::TrainingSchedules& schedules, int64_t step);

// One phase of a step on this rank's host clock, for the step timeline (metrics/step_timeline.h).
struct PhaseSpan {
  const char* name;  // forward, backward, gradient wait, optimizer, ema
  std::chrono::steady_clock::time_point start, end;
};

struct StepResult {
  double dino = 0, ibot = 0, koleo = 0, total = 0;  // total = weighted sum of the three
  double grad_norm = 0;                             // before clipping; NaN when not computed
  ssl::SslHealth health;  // collapse monitors, averaged over micro-batches
  bool applied = false;   // false: skipped as non-finite
  // Seconds on this rank: forwards (with the loss all-reduce), backward calls, and everything
  // after the gradients are reduced (centers, clipping, AdamW, ZeRO-1 all-gather, EMA).
  double forward_seconds = 0, backward_seconds = 0, optimizer_seconds = 0;
  std::vector<PhaseSpan> phases;  // in order; on CUDA, device work is only in them under
                                  // set_synchronize_phases(true)
};

// How a step talks to the other ranks; the default is one process.
struct DataParallel {
  distributed::Communicator* comm = nullptr;  // null or world size 1: no communication
  distributed::ReducerOptions buckets;
  bool zero1 =
      false;  // ZeRO-1: optimizer state sharded across ranks (distributed/optimizer_shards.h)
};

class TrainStep {
 public:
  TrainStep(ssl::StudentTeacher& model, const optim::OptimOptions& optim,
            int64_t max_consecutive_nonfinite, bool bf16_autocast, DataParallel parallel = {});
  ~TrainStep();

  // One optimizer step over this rank's micro-batches (more than one: gradient accumulation; the
  // losses are averaged over micro-batches and ranks). Throws TrainingDiverged when the guard
  // gives up.
  StepResult operator()(const std::vector<ssl::SslBatch>& micro_batches, int64_t step,
                        const StepValues& values);
  StepResult operator()(const ssl::SslBatch& batch, int64_t step, const StepValues& values) {
    return (*this)(std::vector<ssl::SslBatch>{batch}, step, values);
  }

  int64_t skipped_total() const { return guard_.skipped_total(); }
  NonfiniteGuard& guard() { return guard_; }  // its counts are checkpointed
  optim::ScheduledAdamW& optimizer() { return *optimizer_; }
  // Null on one process.
  const distributed::GradientReducer* reducer() const { return reducer_.get(); }
  // Null unless ZeRO-1 on more than one rank.
  const distributed::OptimizerShards* optimizer_shards() const { return shards_.get(); }
  // Which rank holds which piece of each student tensor's optimizer state
  // (student().parameters() order): whole on every rank, or ZeRO-1's pieces.
  optim::OptimizerLayout optimizer_layout() const;
  // Wait for the device at each phase boundary so the phase times hold its work (the timeline
  // window only: it costs the overlap of consecutive phases).
  void set_synchronize_phases(bool on) { synchronize_phases_ = on; }
  // Called once per step after backward, before the step's first in-place change of the state
  // (centers, optimizer, EMA): where an async checkpoint waits for its copy of the state.
  void set_before_state_update(std::function<void()> hook) {
    before_state_update_ = std::move(hook);
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct MicroBatchLosses {
    torch::Tensor total;  // the loss to differentiate
    torch::Tensor terms;  // (dino, ibot, koleo), averaged over ranks, on the host
  };
  // One micro-batch's forward; its terms are added to `r` with weight `share`.
  MicroBatchLosses forward(const ssl::SslBatch& batch, const StepValues& values, double share,
                           StepResult& r);
  // The guard's verdict after a micro-batch's forward: on the step's weighted total after the
  // last one, on the micro-batch's own `terms` before. False: the step is skipped.
  bool accept_losses(int64_t step, bool last_micro_batch, const torch::Tensor& terms,
                     StepResult& r);
  // After the gradients are reduced: clip, guard, centers, AdamW (ZeRO-1 all-gather), EMA.
  void update(int64_t step, const StepValues& values, StepResult& r);
  void end_phase(StepResult& r, const char* name, Clock::time_point start) const;

  ssl::StudentTeacher& model_;
  double clip_grad_;
  bool bf16_autocast_;
  bool synchronize_phases_ = false;
  bool sync_phases_now_ = false;  // this step: synchronize_phases_ on a CUDA model
  std::function<void()> before_state_update_;
  ssl::AllReduceSum all_reduce_;
  std::vector<std::vector<torch::Tensor>> clip_modules_;
  std::vector<int> module_of_;  // per student parameter: index into clip_modules_
  std::unique_ptr<optim::ScheduledAdamW> optimizer_;
  distributed::Communicator* comm_ = nullptr;
  std::unique_ptr<distributed::GradientReducer> reducer_;
  std::unique_ptr<distributed::OptimizerShards> shards_;
  NonfiniteGuard guard_;
};

}  // namespace pathodino::train
