#include "trainer/ssl/ema_teacher.h"

#include <ATen/ops/_foreach_lerp.h>
#include <torch/torch.h>

namespace pathodino::ssl {

void ema_update(std::vector<torch::Tensor>& teacher, const std::vector<torch::Tensor>& student,
                double momentum) {
  TORCH_CHECK(teacher.size() == student.size(), "teacher has ", teacher.size(),
              " tensors, student ", student.size());
  torch::NoGradGuard no_grad;
  // teacher + (1 - m)(student - teacher) = m teacher + (1 - m) student, in one pass over memory
  at::_foreach_lerp_(teacher, student, 1.0 - momentum);
}

}  // namespace pathodino::ssl
