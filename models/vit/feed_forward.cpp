#include "models/vit/feed_forward.h"

#include <torch/nn/functional/activation.h>

#include "models/vit/linear.h"

namespace pathodino::models {

MlpImpl::MlpImpl(int64_t dim, int64_t hidden_dim) {
  fc1_ = register_module("fc1", torch::nn::Linear(dim, hidden_dim));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden_dim, dim));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  return apply_linear(fc2_, torch::gelu(apply_linear(fc1_, x)));  // exact (erf) GELU, as nn.GELU()
}

SwiGluImpl::SwiGluImpl(int64_t dim, int64_t hidden_dim) {
  w12_ = register_module("w12", torch::nn::Linear(dim, 2 * hidden_dim));
  w3_ = register_module("w3", torch::nn::Linear(hidden_dim, dim));
}

torch::Tensor SwiGluImpl::forward(const torch::Tensor& x) {
  const auto halves = apply_linear(w12_, x).chunk(2, -1);
  return apply_linear(w3_, torch::silu(halves[0]) * halves[1]);
}

}  // namespace pathodino::models
