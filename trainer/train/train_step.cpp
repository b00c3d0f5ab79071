#include "trainer/train/train_step.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>

#include "trainer/optim/grad_clip.h"
#include "trainer/optim/param_groups.h"
#include "trainer/system/autocast_scope.h"
#include "trainer/system/elapsed.h"

namespace pathodino::train {

using Clock = std::chrono::steady_clock;

StepValues step_values(const optim::TrainingSchedules& s, int64_t step) {
  return {s.lr[step],           s.last_layer_lr[step],
          s.weight_decay[step], s.teacher_momentum[step],
          s.teacher_temp[step], s.backbone_lr[step]};
}

TrainStep::TrainStep(ssl::StudentTeacher& model, const optim::OptimOptions& optim,
                     int64_t max_consecutive_nonfinite, bool bf16_autocast, DataParallel parallel)
    : model_(model),
      clip_grad_(optim.clip_grad),
      bf16_autocast_(bf16_autocast),
      all_reduce_(ssl::single_process()),
      guard_(max_consecutive_nonfinite) {
  if (parallel.comm != nullptr && parallel.comm->world_size() > 1) {
    comm_ = parallel.comm;
    all_reduce_ = [comm = comm_](torch::Tensor& t) {
      comm->all_reduce_sum(t, "all_reduce(SSL statistics: centers, Sinkhorn-Knopp, monitors)");
    };
    distributed::ReducerOptions buckets = parallel.buckets;
    buckets.average = false;  // 1/world is folded into the loss below: no extra pass
    buckets.reduce_scatter = parallel.zero1;
    reducer_ = std::make_unique<distributed::GradientReducer>(model_.student().parameters(), *comm_,
                                                              buckets);
    if (parallel.zero1)
      shards_ = std::make_unique<distributed::OptimizerShards>(model_.student().parameters(),
                                                               *reducer_, *comm_);
  }
  // Backbone tensors (named without prefix) and head tensors get DINOv2's group rules; each
  // student module (backbone, dino_head, ibot_head) is clipped on its own.
  std::vector<std::pair<std::string, torch::Tensor>> backbone, heads;
  std::map<std::string, std::vector<torch::Tensor>> modules;
  std::vector<std::string> module_names;
  for (auto& [name, tensor] : model_.student().named_parameters()) {
    const std::string module = name.substr(0, name.find('.'));
    modules[module].push_back(tensor);
    module_names.push_back(module);
    if (module == "backbone")
      backbone.emplace_back(name.substr(module.size() + 1), tensor);
    else
      heads.emplace_back(name, tensor);
  }
  std::map<std::string, int> module_index;
  for (auto& [name, tensors] : modules) {
    module_index[name] = static_cast<int>(clip_modules_.size());
    clip_modules_.push_back(std::move(tensors));
  }
  for (const std::string& name : module_names) module_of_.push_back(module_index.at(name));
  std::vector<optim::ParamGroup> groups =
      optim::make_param_groups(backbone, model_.student().backbone->spec().depth, heads, optim);
  if (shards_) {  // ZeRO-1: this rank's optimizer steps only its pieces, with their tensor's rules
    const std::vector<torch::Tensor> params = model_.student().parameters();
    std::vector<optim::ParamGroup> mine;
    for (const optim::ParamGroup& group : groups)
      for (size_t i = 0; i < params.size(); ++i)
        if (params[i].is_same(group.param)) {
          for (const optim::OptimizerPiece& piece : shards_->layout()[i])
            if (piece.stepped.defined()) {
              optim::ParamGroup own = group;
              own.param = piece.stepped;
              mine.push_back(std::move(own));
            }
          break;
        }
    groups = std::move(mine);
  }
  optimizer_ = std::make_unique<optim::ScheduledAdamW>(groups, optim);
}

optim::OptimizerLayout TrainStep::optimizer_layout() const {
  if (shards_) return shards_->layout();
  optim::OptimizerLayout whole;
  for (const torch::Tensor& p : model_.student().parameters())
    whole.push_back({{-1, 0, p.numel(), p}});
  return whole;
}

TrainStep::~TrainStep() = default;

void TrainStep::end_phase(StepResult& r, const char* name, Clock::time_point start) const {
  // A phase ends when the host gets here, or — when asked, on CUDA — when the device has done it.
  if (sync_phases_now_) torch::cuda::synchronize();
  r.phases.push_back({name, start, Clock::now()});
}

TrainStep::MicroBatchLosses TrainStep::forward(const ssl::SslBatch& batch, const StepValues& values,
                                               double share, StepResult& r) {
  const auto forward_start = Clock::now();
  ssl::SslLosses losses;
  {
    system::AutocastScope autocast(bf16_autocast_);
    losses = model_.forward(batch, values.teacher_temp, all_reduce_);
  }
  // The guard decides on the mean over ranks: a NaN anywhere is a NaN everywhere.
  // Reduced where the losses live (NCCL takes device tensors), then read on the host.
  auto terms = torch::stack({losses.dino.detach(), losses.ibot.detach(), losses.koleo.detach()})
                   .to(torch::kFloat64);
  if (comm_ != nullptr) {
    all_reduce_(terms);
    terms /= static_cast<double>(comm_->world_size());
  }
  terms = terms.cpu();
  r.dino += share * terms[0].item<double>();
  r.ibot += share * terms[1].item<double>();
  r.koleo += share * terms[2].item<double>();
  end_phase(r, "forward", forward_start);
  r.forward_seconds += system::seconds_since(forward_start);
  r.health.add(losses.health, share);
  return {losses.total, terms};
}

bool TrainStep::accept_losses(int64_t step, bool last_micro_batch, const torch::Tensor& terms,
                              StepResult& r) {
  if (last_micro_batch) {
    const ssl::SslOptions& o = model_.options();
    r.total =
        o.dino.loss_weight * r.dino + o.ibot.loss_weight * r.ibot + o.koleo.loss_weight * r.koleo;
    r.applied = guard_.accept(
        step, {{"dino loss", r.dino}, {"ibot loss", r.ibot}, {"koleo loss", r.koleo}});
  } else {
    r.applied = std::isfinite(terms.sum().item<double>());
    if (!r.applied)  // counted once, naming the bad term
      guard_.accept(step, {{"dino loss", terms[0].item<double>()},
                           {"ibot loss", terms[1].item<double>()},
                           {"koleo loss", terms[2].item<double>()}});
  }
  if (!r.applied) model_.discard_center_updates();
  return r.applied;
}

void TrainStep::update(int64_t step, const StepValues& values, StepResult& r) {
  const auto optimizer_start = Clock::now();
  if (before_state_update_) before_state_update_();
  r.grad_norm = shards_ ? shards_->clip_grad_norms(
                              module_of_, static_cast<int>(clip_modules_.size()), clip_grad_)
                        : optim::clip_grad_norms(clip_modules_, clip_grad_);
  // The norm is global (reduced gradients), so every rank takes the same branch and the centers'
  // all-reduce runs on all of them or on none.
  r.applied = guard_.accept(step, {{"gradient norm", r.grad_norm}});
  if (r.applied) {
    model_.update_centers(all_reduce_);
    optimizer_->step();
    if (shards_) shards_->all_gather_parameters();
    end_phase(r, "optimizer", optimizer_start);
    const auto ema_start = Clock::now();
    model_.update_teacher(values.teacher_momentum);
    end_phase(r, "ema", ema_start);
  } else {
    model_.discard_center_updates();  // a skipped step leaves every piece of state as it was
    end_phase(r, "optimizer", optimizer_start);
  }
  r.optimizer_seconds = system::seconds_since(optimizer_start);
}

StepResult TrainStep::operator()(const std::vector<ssl::SslBatch>& micro_batches, int64_t step,
                                 const StepValues& values) {
  optimizer_->set_schedule_values(
      {values.lr, values.last_layer_lr, values.backbone_lr, values.weight_decay});
  if (reducer_)
    reducer_->zero_grad();
  else
    optimizer_->zero_grad();
  const auto micro = static_cast<int64_t>(micro_batches.size());
  const double share = 1.0 / static_cast<double>(micro);
  // Each rank's backward carries 1/(micro-batches · ranks) of the step's loss, so summing the
  // gradients over micro-batches and ranks gives the gradient of the mean.
  const double backward_scale = share / (comm_ != nullptr ? comm_->world_size() : 1);
  StepResult r;
  r.grad_norm = std::numeric_limits<double>::quiet_NaN();
  sync_phases_now_ = synchronize_phases_ && model_.student().backbone->parameters()[0].is_cuda();
  for (int64_t m = 0; m < micro; ++m) {
    const MicroBatchLosses losses = forward(micro_batches[m], values, share, r);
    const bool last = m + 1 == micro;
    if (!accept_losses(step, last, losses.terms, r)) return r;
    if (reducer_) reducer_->begin_backward(/*reduce=*/last);
    const auto backward_start = Clock::now();
    (backward_scale != 1.0 ? losses.total * backward_scale : losses.total).backward();
    end_phase(r, "backward", backward_start);
    r.backward_seconds += system::seconds_since(backward_start);
  }
  if (reducer_) {
    const auto wait_start = Clock::now();
    reducer_->finish_backward();
    end_phase(r, "gradient wait", wait_start);
  }
  update(step, values, r);
  return r;
}

}  // namespace pathodino::train
