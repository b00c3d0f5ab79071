// Multi-head self-attention through at::scaled_dot_product_attention (flash / memory-efficient
// kernels on GPU, a fused kernel on CPU). Parameters: qkv (D → 3D), proj (D → D).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

namespace pathodino::models {

class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t dim, int64_t num_heads, bool qkv_bias);
  torch::Tensor forward(const torch::Tensor& x) { return project(mix(x)); }  // [B, N, D] → same

  // Every token's attention over all tokens, heads concatenated: [B, N, D], before `proj`.
  torch::Tensor mix(const torch::Tensor& x);
  // The output projection, on any [..., D] (e.g. only some rows of mix's output).
  torch::Tensor project(const torch::Tensor& mixed);

 private:
  int64_t num_heads_;
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(Attention);

}  // namespace pathodino::models
