// Every per-step value of a run, precomputed as arrays indexed by step (DINOv2's CosineScheduler):
// [freeze: 0] → [linear warmup from `start` to `base`, both ends included] → cosine from `base` to
// `final`; any step past the end reads `final`.
#pragma once

#include <cstdint>
#include <vector>

#include "trainer/optim/optim_options.h"
#include "trainer/ssl/ssl_options.h"

namespace pathodino::optim {

class CosineSchedule {
 public:
  struct Shape {
    double base = 0, final = 0;
    int64_t total_steps = 0, warmup_steps = 0, freeze_steps = 0;
    double warmup_start = 0;
  };
  explicit CosineSchedule(const Shape& shape);
  double operator[](int64_t step) const;
  // The same schedule with its first `steps` values set to 0 (DINOv2's last-layer freeze).
  CosineSchedule zeroed_before(int64_t steps) const;
  // The same schedule at 0 for its first `frozen` steps, then scaled by a linear ramp that reaches
  // 1 after `ramp` more steps (the backbone's lr after a heads-only warm-up).
  CosineSchedule rewarmed_after(int64_t frozen, int64_t ramp) const;
  int64_t size() const { return static_cast<int64_t>(values_.size()); }

 private:
  std::vector<double> values_;
  double final_;
};

// The peak learning rate for a global batch: base_lr × f(global_batch / 1024).
double scaled_learning_rate(const OptimOptions& options, int64_t global_batch);

struct TrainingSchedules {
  CosineSchedule lr, last_layer_lr, weight_decay, teacher_momentum, teacher_temp;
  // The first step at which both warm-ups (lr, teacher temperature) are over; past the run's
  // last step when a warm-up outlasts the run.
  int64_t warmups_end = 0;
  CosineSchedule backbone_lr;  // lr, or 0 and re-warmed after optim.heads_only_steps
};

// All schedules of a run, DINOv2's way: lr (warmup from 0, cosine to min_lr), last-layer lr (the
// same values, but 0 during freeze_last_layer_epochs), weight decay (cosine), EMA momentum
// (cosine), teacher temperature (linear warmup, then constant). With `optim.schedule: constant`
// (DINOv3) lr, weight decay and momentum stay at their peak/start values after the warm-up.
// The backbone's lr is the lr schedule itself unless optim.heads_only_steps is set.
TrainingSchedules make_training_schedules(const OptimOptions& optim, const ssl::SslOptions& ssl,
                                          int64_t global_batch);

}  // namespace pathodino::optim
