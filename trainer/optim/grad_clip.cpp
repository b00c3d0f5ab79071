#include "trainer/optim/grad_clip.h"

#include <torch/torch.h>

#include <cmath>

namespace pathodino::optim {

double clip_grad_norms(const std::vector<std::vector<torch::Tensor>>& modules, double max_norm) {
  double squared = 0;
  for (const auto& params : modules) {
    std::vector<torch::Tensor> with_grad;
    for (const auto& p : params)
      if (p.grad().defined()) with_grad.push_back(p);
    if (with_grad.empty()) continue;
    const double norm = max_norm > 0 ? torch::nn::utils::clip_grad_norm_(with_grad, max_norm)
                                     : torch::nn::utils::clip_grad_norm_(
                                           with_grad, std::numeric_limits<double>::infinity());
    squared += norm * norm;
  }
  return std::sqrt(squared);
}

}  // namespace pathodino::optim
