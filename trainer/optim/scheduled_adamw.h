// AdamW over DINOv2's parameter groups: tensors with equal (lr multiplier, wd multiplier,
// last-layer flag) share one torch optimizer group, and every step sets each group's
//   lr = (last-layer lr if last layer else lr) × lr multiplier,  weight decay = wd × wd multiplier
// from the schedules, as DINOv2's apply_optim_scheduler does. A step runs torch's fused AdamW
// kernel once per group (the update of torch.optim.AdamW(fused=True)); the moments stay in the
// torch optimizer's per-tensor state, which checkpoints read and write.
#pragma once

#include <memory>
#include <vector>

#include <torch/types.h>

#include "trainer/optim/optim_options.h"
#include "trainer/optim/param_groups.h"

namespace torch::optim {
class AdamW;
struct AdamWParamState;
}  // namespace torch::optim

namespace pathodino::optim {

class ScheduledAdamW {
 public:
  ScheduledAdamW(const std::vector<ParamGroup>& params, const OptimOptions& options);
  ~ScheduledAdamW();

  struct ScheduleValues {
    double lr = 0, last_layer_lr = 0, backbone_lr = 0, weight_decay = 0;
  };
  void set_schedule_values(const ScheduleValues& values);
  void zero_grad();
  void step();

  int64_t group_count() const { return static_cast<int64_t>(multipliers_.size()); }
  torch::optim::AdamW& optimizer() { return *optimizer_; }
  // The AdamW state of a stepped tensor, created (zeros, step 0) on first use: what the first
  // step would create, so that a checkpoint can name and fill it before any step.
  torch::optim::AdamWParamState& state_of(const torch::Tensor& stepped);

 private:
  struct Multipliers {
    double lr = 1, wd = 1;
    bool last_layer = false, backbone = false;
  };
  std::vector<Multipliers> multipliers_;  // one per torch group
  std::unique_ptr<torch::optim::AdamW> optimizer_;
};

}  // namespace pathodino::optim
