#include "models/vit/attention.h"

#include <ATen/ops/scaled_dot_product_attention.h>

#include "models/vit/linear.h"

namespace pathodino::models {

AttentionImpl::AttentionImpl(int64_t dim, int64_t num_heads, bool qkv_bias)
    : num_heads_(num_heads) {
  qkv_ = register_module("qkv",
                         torch::nn::Linear(torch::nn::LinearOptions(dim, 3 * dim).bias(qkv_bias)));
  proj_ = register_module("proj", torch::nn::Linear(dim, dim));
}

torch::Tensor AttentionImpl::mix(const torch::Tensor& x) {
  const int64_t batch = x.size(0), tokens = x.size(1), dim = x.size(2);
  // [B, N, 3D] → [3, B, H, N, D/H]
  const auto qkv = apply_linear(qkv_, x)
                       .reshape({batch, tokens, 3, num_heads_, dim / num_heads_})
                       .permute({2, 0, 3, 1, 4});
  // unbind, not three selects: each select's backward writes its gradient into a zero-filled
  // tensor of the whole qkv shape, where unbind's backward stacks the three once.
  const std::vector<torch::Tensor> q_k_v = qkv.unbind(0);
  const auto out = at::scaled_dot_product_attention(q_k_v[0], q_k_v[1], q_k_v[2]);
  return out.transpose(1, 2).reshape({batch, tokens, dim});
}

torch::Tensor AttentionImpl::project(const torch::Tensor& mixed) {
  return apply_linear(proj_, mixed);
}

}  // namespace pathodino::models
