#include "trainer/ssl/dino_loss.h"

#include <torch/torch.h>

#include "trainer/ssl/loss_precision.h"

namespace pathodino::ssl {

torch::Tensor dino_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_targets,
                        double student_temp) {
  const int64_t n_crops = student_logits.size(0), n_global = teacher_targets.size(0);
  TORCH_CHECK(n_crops >= n_global, "fewer student crops than teacher crops");
  const auto log_probs = torch::log_softmax(in_loss_precision(student_logits) / student_temp, -1);
  // cross[s, t] = mean over the batch of −Σ_k T_t · log P_s
  const auto cross =
      -torch::einsum("tbk,sbk->st", {teacher_targets.to(log_probs.scalar_type()), log_probs}) /
      static_cast<double>(student_logits.size(1));
  auto valid = torch::ones({n_crops, n_global}, cross.options());
  for (int64_t i = 0; i < n_global; ++i) valid[i][i] = 0;  // a global crop is not its own target
  return (cross * valid).sum() / valid.sum();
}

}  // namespace pathodino::ssl
