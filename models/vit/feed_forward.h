// The block's feed-forward network: a GELU MLP (fc1, fc2) or SwiGLU (w12 packs both gate halves,
// w3 projects back; silu(x1) · x2), with DINOv2's parameter names.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace pathodino::models {

class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t dim, int64_t hidden_dim);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(Mlp);

class SwiGluImpl : public torch::nn::Module {
 public:
  SwiGluImpl(int64_t dim, int64_t hidden_dim);  // hidden_dim: width of each half
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::nn::Linear w12_{nullptr}, w3_{nullptr};
};
TORCH_MODULE(SwiGlu);

}  // namespace pathodino::models
