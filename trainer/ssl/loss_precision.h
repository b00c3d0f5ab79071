// The precision the SSL objective is computed in: fp32 when the networks run in bf16/fp16
// (autocast), and the networks' own precision when that is wider — fp64 is what lets the parity
// test compare three optimizer steps with Meta's code without fp32 rounding in the way.
#pragma once

#include <torch/types.h>

namespace pathodino::ssl {

inline torch::Tensor in_loss_precision(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat64 ? t : t.to(torch::kFloat32);
}

}  // namespace pathodino::ssl
