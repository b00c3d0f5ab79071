#include "trainer/optim/scheduled_adamw.h"

#include <torch/torch.h>

#include <map>
#include <tuple>

namespace pathodino::optim {

ScheduledAdamW::ScheduledAdamW(const std::vector<ParamGroup>& params, const OptimOptions& options) {
  std::map<std::tuple<double, double, bool>, std::vector<torch::Tensor>> grouped;
  for (const ParamGroup& p : params)
    grouped[{p.lr_multiplier, p.wd_multiplier, p.is_last_layer}].push_back(p.param);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  for (auto& [key, tensors] : grouped) {
    auto group_options = std::make_unique<torch::optim::AdamWOptions>(0.0);
    group_options->betas({options.betas.at(0), options.betas.at(1)}).weight_decay(0.0).eps(1e-8);
    groups.emplace_back(tensors, std::move(group_options));
    multipliers_.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key)});
  }
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      groups, torch::optim::AdamWOptions(0.0).betas({options.betas.at(0), options.betas.at(1)}));
}

ScheduledAdamW::~ScheduledAdamW() = default;

void ScheduledAdamW::set_schedule_values(double lr, double last_layer_lr, double weight_decay) {
  auto& groups = optimizer_->param_groups();
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& o = static_cast<torch::optim::AdamWOptions&>(groups[i].options());
    const Multipliers& m = multipliers_[i];
    o.lr((m.last_layer ? last_layer_lr : lr) * m.lr);
    o.weight_decay(weight_decay * m.wd);
  }
}

void ScheduledAdamW::zero_grad() { optimizer_->zero_grad(/*set_to_none=*/true); }

void ScheduledAdamW::step() { optimizer_->step(); }

}  // namespace pathodino::optim
