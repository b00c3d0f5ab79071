#include "trainer/ssl/koleo_loss.h"

#include <torch/torch.h>

#include "trainer/ssl/loss_precision.h"

namespace pathodino::ssl {

torch::Tensor koleo_loss(const torch::Tensor& features, double eps) {
  const auto x = torch::nn::functional::normalize(
      in_loss_precision(features), torch::nn::functional::NormalizeFuncOptions().dim(-1).eps(eps));
  const int64_t n = x.size(0);
  if (n < 2) return (x * 0).sum();  // no neighbour; keeps the graph connected
  torch::Tensor neighbour;
  {
    torch::NoGradGuard no_grad;
    auto dots = torch::mm(x, x.t());
    dots.fill_diagonal_(-2.0);  // never oneself (cosines are >= -1)
    neighbour = dots.argmax(1);
  }
  // ‖a − b + ε‖: DINOv2's PairwiseDistance; the ε keeps the norm's gradient finite at a == b.
  const auto distances = (x - x.index_select(0, neighbour) + eps).norm(2, -1);
  return -torch::log(distances + eps).mean();
}

}  // namespace pathodino::ssl
