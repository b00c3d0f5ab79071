#include "trainer/ssl/ibot_loss.h"

#include <torch/torch.h>

#include "trainer/ssl/loss_precision.h"

namespace pathodino::ssl {

torch::Tensor ibot_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_targets,
                        const torch::Tensor& masks, double student_temp) {
  const auto per_patch = -(in_loss_precision(teacher_targets) *
                           torch::log_softmax(in_loss_precision(student_logits) / student_temp, -1))
                              .sum(-1);
  // Each masked patch weighs 1 / (masked patches of its image).
  const auto per_image = masks.sum(-1, /*keepdim=*/true).clamp_min(1).to(per_patch.scalar_type());
  const auto weights = (1.0 / per_image).expand(masks.sizes()).masked_select(masks);
  return (per_patch * weights).sum() / static_cast<double>(masks.size(0));
}

}  // namespace pathodino::ssl
