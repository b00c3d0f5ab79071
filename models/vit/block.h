// One pre-norm transformer block:
//   x = x + drop_path(ls1(attn(norm1(x))));  x = x + drop_path(ls2(ffn(norm2(x))))
// LayerScale (ls1/ls2, a learned per-channel gamma) is present when layerscale_init > 0.
// Stochastic depth drops the residual branch per sample in training and rescales the kept ones.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>

#include "models/vit/attention.h"
#include "models/vit/feed_forward.h"

namespace pathodino::models {

struct VitSpec;

class LayerScaleImpl : public torch::nn::Module {
 public:
  LayerScaleImpl(int64_t dim, double init);
  torch::Tensor forward(const torch::Tensor& x) { return x * gamma; }
  torch::Tensor gamma;
};
TORCH_MODULE(LayerScale);

class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(const VitSpec& spec, double drop_path_rate);
  torch::Tensor forward(const torch::Tensor& x);
  // The output at `rows` only (int64 [M], flat indices into x's B·N tokens) → [M, D]. Every token
  // is still a key and value of the attention; the projection, residuals, norm2 and FFN run on
  // those rows alone. Equals forward(x).flatten(0, 1).index_select(0, rows), RNG draws included.
  torch::Tensor forward_rows(const torch::Tensor& x, const torch::Tensor& rows);

 private:
  // Stochastic depth on a branch whose rows belong to samples `samples` (undefined: row i is
  // sample i); one draw per sample of the batch. LayerScale already applied.
  torch::Tensor residual(const torch::Tensor& branch, int64_t batch,
                         const torch::Tensor& samples = {});
  torch::Tensor ffn(const torch::Tensor& x);
  double drop_path_rate_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  Attention attn_{nullptr};
  LayerScale ls1_{nullptr}, ls2_{nullptr};
  Mlp mlp_{nullptr};
  SwiGlu swiglu_{nullptr};
};
TORCH_MODULE(Block);

}  // namespace pathodino::models
