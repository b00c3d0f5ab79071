#include "trainer/optim/scheduled_adamw.h"

#include <ATen/ops/_fused_adamw.h>
#include <torch/torch.h>

#include <map>
#include <tuple>

namespace pathodino::optim {

ScheduledAdamW::ScheduledAdamW(const std::vector<ParamGroup>& params, const OptimOptions& options) {
  std::map<std::tuple<double, double, bool, bool>, std::vector<torch::Tensor>> grouped;
  for (const ParamGroup& p : params)
    grouped[{p.lr_multiplier, p.wd_multiplier, p.is_last_layer, p.is_backbone}].push_back(p.param);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (auto& [key, tensors] : grouped) {
    auto group_options = std::make_unique<torch::optim::AdamWOptions>(0.0);
    group_options->betas({options.betas.at(0), options.betas.at(1)}).weight_decay(0.0).eps(1e-8);
    groups.emplace_back(tensors, std::move(group_options));
    multipliers_.push_back(
        {std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key)});
  }
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      groups, torch::optim::AdamWOptions(0.0).betas({options.betas.at(0), options.betas.at(1)}));
}

ScheduledAdamW::~ScheduledAdamW() = default;

void ScheduledAdamW::set_schedule_values(const ScheduleValues& v) {
  auto& groups = optimizer_->param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& o = static_cast<torch::optim::AdamWOptions&>(groups[i].options());
    const Multipliers& m = multipliers_[i];
    o.lr((m.last_layer ? v.last_layer_lr : m.backbone ? v.backbone_lr : v.lr) * m.lr);
    o.weight_decay(v.weight_decay * m.wd);
  }
}

torch::optim::AdamWParamState& ScheduledAdamW::state_of(const torch::Tensor& stepped) {
  auto& state = optimizer_->state();
  auto found = state.find(stepped.unsafeGetTensorImpl());
  if (found == state.end()) {
    auto fresh = std::make_unique<torch::optim::AdamWParamState>();
    fresh->step(0);
    fresh->exp_avg(torch::zeros_like(stepped, torch::MemoryFormat::Contiguous));
    fresh->exp_avg_sq(torch::zeros_like(stepped, torch::MemoryFormat::Contiguous));
    found = state.emplace(stepped.unsafeGetTensorImpl(), std::move(fresh)).first;
  }
  return static_cast<torch::optim::AdamWParamState&>(*found->second);
}

void ScheduledAdamW::zero_grad() { optimizer_->zero_grad(/*set_to_none=*/true); }

// Tensors without a gradient are left alone, as torch's AdamW does. The fused kernel reads the
// bias-correction step from a float tensor on the parameters' device (one device per model) and
// does not advance it, so the counts live in the int64 state and are handed over advanced; the
// tensors with equal counts (in practice all of them) share one.
void ScheduledAdamW::step() {
  torch::NoGradGuard no_grad;
  for (auto& group : optimizer_->param_groups()) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
    std::map<int64_t, torch::Tensor> step_tensors;
    for (const torch::Tensor& p : group.params()) {
      if (!p.grad().defined()) continue;
      auto& s = state_of(p);
      s.step(s.step() + 1);
      torch::Tensor& count = step_tensors[s.step()];
      if (!count.defined())
        count = torch::full({}, static_cast<double>(s.step()), p.options().dtype(torch::kFloat32));
      params.push_back(p);
      grads.push_back(p.grad());
      exp_avgs.push_back(s.exp_avg());
      exp_avg_sqs.push_back(s.exp_avg_sq());
      steps.push_back(count);
    }
    if (params.empty()) continue;
    at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, o.lr(),
                      std::get<0>(o.betas()), std::get<1>(o.betas()), o.weight_decay(), o.eps(),
                      /*amsgrad=*/false, /*maximize=*/false);
  }
}

}  // namespace pathodino::optim
