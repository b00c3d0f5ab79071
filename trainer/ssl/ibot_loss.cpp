#include "trainer/ssl/ibot_loss.h"

#include <torch/torch.h>

namespace pathodino::ssl {

torch::Tensor ibot_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_targets,
                        const torch::Tensor& masks, double student_temp) {
  const auto per_patch =
      -(teacher_targets.to(torch::kFloat32) *
        torch::log_softmax(student_logits.to(torch::kFloat32) / student_temp, -1))
           .sum(-1);
  // Each masked patch weighs 1 / (masked patches of its image).
  const auto per_image = masks.sum(-1, /*keepdim=*/true).clamp_min(1).to(torch::kFloat32);
  const auto weights = (1.0 / per_image).expand(masks.sizes()).masked_select(masks);
  return (per_patch * weights).sum() / static_cast<double>(masks.size(0));
}

}  // namespace pathodino::ssl
