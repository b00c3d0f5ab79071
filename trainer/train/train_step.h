// TrainStep: one optimisation step of the student and teacher, in DINOv2's order —
//   schedule values → forward (teacher targets, student losses) → non-finite guard → backward →
//   per-module gradient clipping → guard on the gradient norm → AdamW step → EMA teacher update.
// The trainer loop and the step benchmark both run exactly this.
#pragma once

#include <cstdint>
#include <memory>

#include "trainer/optim/optim_options.h"
#include "trainer/optim/scheduled_adamw.h"
#include "trainer/optim/schedules.h"
#include "trainer/ssl/collectives.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/train/nonfinite_guard.h"

namespace pathodino::train {

struct StepValues {
  double lr = 0, last_layer_lr = 0, weight_decay = 0, teacher_momentum = 0, teacher_temp = 0;
};

StepValues step_values(const optim::TrainingSchedules& schedules, int64_t step);

struct StepResult {
  double dino = 0, ibot = 0, koleo = 0, total = 0;  // total = weighted sum of the three
  double grad_norm = 0;                             // before clipping; NaN when not computed
  double teacher_entropy = 0, teacher_kl_to_uniform = 0;
  bool applied = false;  // false: skipped as non-finite
};

class TrainStep {
 public:
  TrainStep(ssl::StudentTeacher& model, const optim::OptimOptions& optim,
            int64_t max_consecutive_nonfinite, bool bf16_autocast, ssl::AllReduceSum all_reduce);
  ~TrainStep();

  // Throws TrainingDiverged when the guard gives up.
  StepResult operator()(const ssl::SslBatch& batch, int64_t step, const StepValues& values);

  int64_t skipped_total() const { return guard_.skipped_total(); }
  optim::ScheduledAdamW& optimizer() { return *optimizer_; }

 private:
  ssl::StudentTeacher& model_;
  double clip_grad_;
  bool bf16_autocast_;
  ssl::AllReduceSum all_reduce_;
  std::vector<std::vector<torch::Tensor>> clip_modules_;
  std::unique_ptr<optim::ScheduledAdamW> optimizer_;
  NonfiniteGuard guard_;
};

}  // namespace pathodino::train
