#include "trainer/ssl/centering.h"

#include <torch/torch.h>

#include "trainer/ssl/loss_precision.h"

namespace pathodino::ssl {

SoftmaxCenter::SoftmaxCenter(int64_t n_prototypes, double momentum)
    : center_(torch::zeros({1, n_prototypes})), momentum_(momentum) {}

torch::Tensor SoftmaxCenter::apply(const torch::Tensor& teacher_logits, double temperature) {
  torch::NoGradGuard no_grad;
  const auto logits = in_loss_precision(teacher_logits);
  center_ = center_.to(logits.device(), logits.scalar_type());
  const auto targets = torch::softmax((logits - center_) / temperature, -1);
  const auto sums =
      torch::cat({logits.sum(0, /*keepdim=*/true),
                  torch::full({1, 1}, static_cast<float>(logits.size(0)), logits.options())},
                 1);
  pending_ = pending_.defined() ? pending_ + sums : sums;
  return targets;
}

void SoftmaxCenter::update(const AllReduceSum& all_reduce) {
  if (!pending_.defined()) return;
  torch::NoGradGuard no_grad;
  auto sums = pending_;
  pending_ = torch::Tensor();
  all_reduce(sums);
  const auto batch_mean = sums.slice(1, 0, -1) / sums.slice(1, -1);
  center_ = center_ * momentum_ + batch_mean * (1.0 - momentum_);
}

void SoftmaxCenter::discard_pending() { pending_ = torch::Tensor(); }

torch::Tensor sinkhorn_knopp(const torch::Tensor& teacher_logits, double temperature,
                             int64_t iterations, const AllReduceSum& all_reduce) {
  torch::NoGradGuard no_grad;
  // fp32 whatever the logits' precision, as DINOv2's sinkhorn_knopp_teacher
  // (teacher_output.float()).
  auto q = torch::exp(teacher_logits.to(torch::kFloat32) / temperature).t();  // [K, N]
  const int64_t prototypes = q.size(0);
  auto count = torch::full({1}, static_cast<float>(q.size(1)), q.options());
  all_reduce(count);  // samples in the global batch
  auto total = q.sum();
  all_reduce(total);
  q /= total;
  for (int64_t i = 0; i < iterations; ++i) {
    auto rows = q.sum(1, /*keepdim=*/true);  // per prototype, over the global batch
    all_reduce(rows);
    q /= rows;
    q /= prototypes;
    q /= q.sum(0, /*keepdim=*/true);  // per sample: local
    q /= count;
  }
  q *= count;  // columns sum to 1: each sample's assignment is a distribution
  return q.t();
}

}  // namespace pathodino::ssl
