#include "trainer/train/train_step.h"

#include <torch/torch.h>

#include <limits>
#include <map>

#include "trainer/optim/grad_clip.h"
#include "trainer/optim/param_groups.h"
#include "trainer/system/autocast_scope.h"

namespace pathodino::train {

StepValues step_values(const optim::TrainingSchedules& s, int64_t step) {
  return {s.lr[step], s.last_layer_lr[step], s.weight_decay[step], s.teacher_momentum[step],
          s.teacher_temp[step]};
}

TrainStep::TrainStep(ssl::StudentTeacher& model, const optim::OptimOptions& optim,
                     int64_t max_consecutive_nonfinite, bool bf16_autocast,
                     ssl::AllReduceSum all_reduce)
    : model_(model),
      clip_grad_(optim.clip_grad),
      bf16_autocast_(bf16_autocast),
      all_reduce_(std::move(all_reduce)),
      guard_(max_consecutive_nonfinite) {
  // Backbone tensors (named without prefix) and head tensors get DINOv2's group rules; each
  // student module (backbone, dino_head, ibot_head) is clipped on its own.
  std::vector<std::pair<std::string, torch::Tensor>> backbone, heads;
  std::map<std::string, std::vector<torch::Tensor>> modules;
  for (auto& [name, tensor] : model_.student().named_parameters()) {
    const std::string module = name.substr(0, name.find('.'));
    modules[module].push_back(tensor);
    if (module == "backbone")
      backbone.emplace_back(name.substr(module.size() + 1), tensor);
    else
      heads.emplace_back(name, tensor);
  }
  for (auto& [name, tensors] : modules) clip_modules_.push_back(std::move(tensors));
  optimizer_ = std::make_unique<optim::ScheduledAdamW>(
      optim::make_param_groups(backbone, model_.student().backbone->spec().depth, heads,
                               optim.layerwise_decay, optim.patch_embed_lr_mult),
      optim);
}

TrainStep::~TrainStep() = default;

StepResult TrainStep::operator()(const ssl::SslBatch& batch, int64_t step,
                                 const StepValues& values) {
  optimizer_->set_schedule_values(values.lr, values.last_layer_lr, values.weight_decay);
  optimizer_->zero_grad();
  ssl::SslLosses losses;
  {
    system::AutocastScope autocast(bf16_autocast_);
    losses = model_.forward(batch, values.teacher_temp, all_reduce_);
  }
  const ssl::SslOptions& o = model_.options();
  StepResult r;
  r.dino = losses.dino.item<double>();
  r.ibot = losses.ibot.item<double>();
  r.koleo = losses.koleo.item<double>();
  r.total =
      o.dino.loss_weight * r.dino + o.ibot.loss_weight * r.ibot + o.koleo.loss_weight * r.koleo;
  r.teacher_entropy = losses.teacher_entropy;
  r.teacher_kl_to_uniform = losses.teacher_kl_to_uniform;
  r.grad_norm = std::numeric_limits<double>::quiet_NaN();
  r.applied =
      guard_.accept(step, {{"dino loss", r.dino}, {"ibot loss", r.ibot}, {"koleo loss", r.koleo}});
  if (!r.applied) return r;
  losses.total.backward();
  r.grad_norm = optim::clip_grad_norms(clip_modules_, clip_grad_);
  r.applied = guard_.accept(step, {{"gradient norm", r.grad_norm}});
  if (!r.applied) return r;
  optimizer_->step();
  model_.update_teacher(values.teacher_momentum);
  return r;
}

}  // namespace pathodino::train
