// The teacher is an exponential moving average of the student: after each optimizer step,
//   θ_teacher ← m · θ_teacher + (1 − m) · θ_student,
// with m from the momentum schedule (cosine 0.992 → 1). The teacher takes no gradients.
#pragma once

#include <vector>

#include <torch/types.h>

namespace pathodino::ssl {

// Both lists in the same order, same shapes. Uses fused multi-tensor kernels (_foreach).
void ema_update(std::vector<torch::Tensor>& teacher, const std::vector<torch::Tensor>& student,
                double momentum);

}  // namespace pathodino::ssl
