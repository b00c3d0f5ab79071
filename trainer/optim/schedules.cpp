#include "trainer/optim/schedules.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace pathodino::optim {

CosineSchedule::CosineSchedule(const Shape& s) : final_(s.final) {
  if (s.warmup_steps + s.freeze_steps > s.total_steps)
    throw std::invalid_argument("schedule: warmup + freeze steps exceed the total");
  values_.assign(s.freeze_steps, 0.0);
  for (int64_t i = 0; i < s.warmup_steps; ++i)  // np.linspace(start, base, warmup): both ends
    values_.push_back(s.warmup_steps == 1
                          ? s.warmup_start
                          : s.warmup_start + (s.base - s.warmup_start) * static_cast<double>(i) /
                                                 static_cast<double>(s.warmup_steps - 1));
  const int64_t cosine_steps = s.total_steps - s.warmup_steps - s.freeze_steps;
  for (int64_t i = 0; i < cosine_steps; ++i)
    values_.push_back(s.final + 0.5 * (s.base - s.final) *
                                    (1 + std::cos(std::numbers::pi * static_cast<double>(i) /
                                                  static_cast<double>(cosine_steps))));
}

double CosineSchedule::operator[](int64_t step) const {
  return step < 0 ? values_.front() : step >= size() ? final_ : values_[step];
}

CosineSchedule CosineSchedule::zeroed_before(int64_t steps) const {
  CosineSchedule copy = *this;
  for (int64_t i = 0; i < std::min(steps, size()); ++i) copy.values_[i] = 0.0;
  return copy;
}

CosineSchedule CosineSchedule::rewarmed_after(int64_t frozen, int64_t ramp) const {
  CosineSchedule copy = zeroed_before(frozen);
  for (int64_t i = 0; i < ramp && frozen + i < size(); ++i)
    copy.values_[frozen + i] *= static_cast<double>(i + 1) / static_cast<double>(ramp + 1);
  return copy;
}

double scaled_learning_rate(const OptimOptions& options, int64_t global_batch) {
  const double ratio = static_cast<double>(global_batch) / 1024.0;
  switch (options.lr_scaling) {
    case LrScaling::sqrt:
      return options.base_lr * std::sqrt(ratio);
    case LrScaling::linear:
      return options.base_lr * ratio;
    case LrScaling::none:
      return options.base_lr;
  }
  return options.base_lr;
}

TrainingSchedules make_training_schedules(const OptimOptions& optim, const ssl::SslOptions& ssl,
                                          int64_t global_batch) {
  const int64_t epoch = optim.iterations_per_epoch, total = optim.epochs * epoch;
  const double lr = scaled_learning_rate(optim, global_batch);
  // A constant schedule is a cosine whose end is its start.
  const bool anneal = optim.schedule == ScheduleKind::cosine;
  const double lr_end = anneal ? optim.min_lr : lr;
  const double decay_end = anneal ? optim.weight_decay_end : optim.weight_decay;
  const double momentum_end = anneal ? ssl.teacher.final_momentum : ssl.teacher.momentum;
  const CosineSchedule lr_schedule({lr, lr_end, total, optim.warmup_epochs * epoch, 0, 0.0});
  return {
      lr_schedule,
      lr_schedule.zeroed_before(optim.freeze_last_layer_epochs * epoch),
      CosineSchedule({optim.weight_decay, decay_end, total, 0, 0, 0.0}),
      CosineSchedule({ssl.teacher.momentum, momentum_end, total, 0, 0, 0.0}),
      // DINOv2's teacher-temperature ramp is its own schedule of warmup length: a ramp longer
      // than the run is cut off by the run's end, not stretched or refused.
      CosineSchedule({ssl.teacher.temp, ssl.teacher.temp,
                      std::max(total, ssl.teacher.warmup_temp_epochs * epoch),
                      ssl.teacher.warmup_temp_epochs * epoch, 0, ssl.teacher.warmup_temp}),
      std::max(optim.warmup_epochs, ssl.teacher.warmup_temp_epochs) * epoch,
      optim.heads_only_steps > 0
          ? lr_schedule.rewarmed_after(optim.heads_only_steps, optim.backbone_rewarm_steps > 0
                                                                   ? optim.backbone_rewarm_steps
                                                                   : optim.warmup_epochs * epoch)
          : lr_schedule,
  };
}

}  // namespace pathodino::optim
