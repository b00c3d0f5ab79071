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

torch::Tensor AttentionImpl::forward(const torch::Tensor& x) {
  const int64_t batch = x.size(0), tokens = x.size(1), dim = x.size(2);
  // [B, N, 3D] → [3, B, H, N, D/H]
  const auto qkv = apply_linear(qkv_, x)
                       .reshape({batch, tokens, 3, num_heads_, dim / num_heads_})
                       .permute({2, 0, 3, 1, 4});
  const auto out = at::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2]);
  return apply_linear(proj_, out.transpose(1, 2).reshape({batch, tokens, dim}));
}

}  // namespace pathodino::models
