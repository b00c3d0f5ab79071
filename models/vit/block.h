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

 private:
  torch::Tensor residual(const torch::Tensor& branch);  // LayerScale already applied
  double drop_path_rate_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  Attention attn_{nullptr};
  LayerScale ls1_{nullptr}, ls2_{nullptr};
  Mlp mlp_{nullptr};
  SwiGlu swiglu_{nullptr};
};
TORCH_MODULE(Block);

}  // namespace pathodino::models
