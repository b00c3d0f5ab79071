#include "trainer/optim/grad_clip.h"

#include <torch/torch.h>

#include <cmath>

namespace pathodino::optim {

torch::Tensor squared_norms(const std::vector<std::vector<torch::Tensor>>& grads) {
  torch::NoGradGuard no_grad;
  torch::Device device = torch::kCPU;
  for (const auto& module : grads)
    if (!module.empty()) device = module.front().device();
  torch::Tensor squared = torch::zeros({static_cast<int64_t>(grads.size())},
                                       torch::TensorOptions(torch::kFloat64).device(device));
  for (size_t m = 0; m < grads.size(); ++m)
    for (const torch::Tensor& g : grads[m])
      squared[static_cast<int64_t>(m)] += g.square().sum(torch::kFloat64);
  return squared;
}

double clip_to_norms(const torch::Tensor& squared,
                     const std::vector<std::vector<torch::Tensor>>& grads, double max_norm) {
  torch::NoGradGuard no_grad;
  const torch::Tensor host = squared.to(torch::kCPU);
  double total = 0;
  for (size_t m = 0; m < grads.size(); ++m) {
    const double module_squared = host[static_cast<int64_t>(m)].item<double>();
    total += module_squared;
    const double norm = std::sqrt(module_squared);
    if (!(max_norm > 0) || !std::isfinite(norm)) continue;
    // In float32, as torch's clip_grad_norm_ computes it.
    const float scale = static_cast<float>(max_norm) / (static_cast<float>(norm) + 1e-6f);
    if (scale >= 1.0f) continue;
    for (const torch::Tensor& g : grads[m]) const_cast<torch::Tensor&>(g).mul_(scale);
  }
  return std::sqrt(total);
}

double clip_grad_norms(const std::vector<std::vector<torch::Tensor>>& modules, double max_norm) {
  std::vector<std::vector<torch::Tensor>> grads(modules.size());
  for (size_t m = 0; m < modules.size(); ++m)
    for (const torch::Tensor& p : modules[m])
      if (p.grad().defined()) grads[m].push_back(p.grad());
  return clip_to_norms(squared_norms(grads), grads, max_norm);
}

}  // namespace pathodino::optim
