#include "trainer/ssl/ema_teacher.h"

#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_mul.h>
#include <torch/torch.h>

namespace pathodino::ssl {

void ema_update(std::vector<torch::Tensor>& teacher, const std::vector<torch::Tensor>& student,
                double momentum) {
  TORCH_CHECK(teacher.size() == student.size(), "teacher has ", teacher.size(),
              " tensors, student ", student.size());
  torch::NoGradGuard no_grad;
  at::_foreach_mul_(teacher, momentum);
  at::_foreach_add_(teacher, student, 1.0 - momentum);
}

}  // namespace pathodino::ssl
