#include "trainer/checkpoint/train_state.h"

#include <torch/torch.h>

#include <set>
#include <sstream>

#include "trainer/checkpoint/checkpoint_manifest.h"

namespace pathodino::checkpoint {
namespace {

std::vector<std::pair<std::string, torch::Tensor>> network_state(ssl::SslNetwork& network,
                                                                 const std::string& prefix) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (auto& [name, tensor] : network.named_parameters()) out.emplace_back(prefix + name, tensor);
  for (const auto& item : network.backbone->named_buffers())
    out.emplace_back(prefix + "backbone." + item.key(), item.value());
  return out;
}

torch::optim::AdamWParamState& adam_state(torch::optim::AdamW& adam, const torch::Tensor& param) {
  auto& state = adam.state();
  auto found = state.find(param.unsafeGetTensorImpl());
  if (found == state.end()) {
    auto fresh = std::make_unique<torch::optim::AdamWParamState>();
    fresh->step(0);
    fresh->exp_avg(torch::zeros_like(param, torch::MemoryFormat::Preserve));
    fresh->exp_avg_sq(torch::zeros_like(param, torch::MemoryFormat::Preserve));
    found = state.emplace(param.unsafeGetTensorImpl(), std::move(fresh)).first;
  }
  return static_cast<torch::optim::AdamWParamState&>(*found->second);
}

std::string describe(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.scalar_type() << t.sizes();
  return out.str();
}

}  // namespace

TrainState::TrainState(ssl::StudentTeacher& model, optim::ScheduledAdamW& optimizer,
                       std::vector<int> owners, int rank)
    : model_(model),
      optimizer_(optimizer),
      student_(network_state(model.student(), "student.")),
      teacher_(network_state(model.teacher(), "teacher.")),
      owners_(std::move(owners)),
      rank_(rank) {
  size_t i = 0;
  for (auto& [name, param] : model_.student().named_parameters())
    if (holds(i++)) adam_state(optimizer_.optimizer(), param);
}

std::vector<NamedTensor> TrainState::tensors() const {
  std::vector<NamedTensor> out;
  for (const auto& [name, t] : student_) out.push_back({name, t, -1});
  for (const auto& [name, t] : teacher_) out.push_back({name, t, -1});
  size_t i = 0;
  for (auto& [name, param] : model_.student().named_parameters()) {
    const std::string prefix = "optim." + name;
    if (!holds(i)) {  // shape and dtype only; its owner writes it
      const torch::Tensor shape = torch::empty(param.sizes(), param.options().device(torch::kMeta));
      const int owner = owners_[i++];
      out.push_back({prefix + ".exp_avg", shape, owner});
      out.push_back({prefix + ".exp_avg_sq", shape, owner});
      out.push_back({prefix + ".step",
                     torch::empty({}, torch::TensorOptions(torch::kMeta).dtype(torch::kInt64)),
                     owner});
      continue;
    }
    const int owner = owners_.empty() ? -1 : owners_[i];
    ++i;
    auto& state = adam_state(optimizer_.optimizer(), param);
    out.push_back({prefix + ".exp_avg", state.exp_avg(), owner});
    out.push_back({prefix + ".exp_avg_sq", state.exp_avg_sq(), owner});
    out.push_back({prefix + ".step", torch::tensor(state.step(), torch::kInt64), owner});
  }
  out.push_back({"center.dino", model_.dino_center().center(), -1});
  out.push_back({"center.ibot", model_.ibot_center().center(), -1});
  return out;
}

void TrainState::restore(const std::map<std::string, torch::Tensor>& loaded,
                         const std::string& origin) {
  const std::vector<NamedTensor> live = tensors();
  std::vector<std::string> problems;
  std::set<std::string> expected;
  for (const auto& [name, tensor, owner] : live) {
    expected.insert(name);
    const auto found = loaded.find(name);
    if (found == loaded.end())
      problems.push_back("'" + name + "' is missing");
    else if (found->second.sizes() != tensor.sizes() ||
             found->second.scalar_type() != tensor.scalar_type())
      problems.push_back("'" + name + "' is " + describe(found->second) + ", the model has " +
                         describe(tensor));
  }
  for (const auto& [name, tensor] : loaded)
    if (!expected.count(name)) problems.push_back("'" + name + "' is not part of this model");
  if (!problems.empty()) {
    std::string message = origin + " does not fit this run's model:";
    for (size_t i = 0; i < problems.size() && i < 8; ++i) message += "\n  " + problems[i];
    if (problems.size() > 8)
      message += "\n  … and " + std::to_string(problems.size() - 8) + " more";
    throw CheckpointError(message);
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor, owner] : live) {
    if (tensor.is_meta() || name.starts_with("center.") || name.ends_with(".step")) continue;
    tensor.copy_(loaded.at(name));
  }
  size_t i = 0;
  for (auto& [name, param] : model_.student().named_parameters())
    if (holds(i++))
      adam_state(optimizer_.optimizer(), param)
          .step(loaded.at("optim." + name + ".step").item<int64_t>());
  const torch::Device device = model_.dino_center().center().device();
  model_.dino_center().center() = loaded.at("center.dino").to(device).clone();
  model_.ibot_center().center() = loaded.at("center.ibot").to(device).clone();
}

}  // namespace pathodino::checkpoint
