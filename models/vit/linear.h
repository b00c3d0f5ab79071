// A Linear layer applied the way PyTorch's Python frontend applies it. The C++ frontend's
// torch::nn::Linear::forward multiplies a [B, N, D] input with `matmul` and adds the bias in a
// second pass over the output; at::linear folds the token dimension into the rows and adds the
// bias inside one addmm, as nn.Linear does in Python. Same result, one pass less per layer.
#pragma once

#include <ATen/ops/linear.h>
#include <torch/nn/modules/linear.h>

namespace pathodino::models {

inline torch::Tensor apply_linear(const torch::nn::Linear& layer, const torch::Tensor& x) {
  return at::linear(x, layer->weight, layer->bias);
}

}  // namespace pathodino::models
