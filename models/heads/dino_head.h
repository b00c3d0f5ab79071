// DinoHead: the DINO/iBOT projection head —
//   MLP (nlayers Linear layers, GELU between) → L2-normalised bottleneck → prototypes,
// where the prototype layer is weight-normalised with its gain fixed to 1: each prototype row is
// unit length, so logits are cosine similarities. Initialised as DINOv2 (truncated normal 0.02,
// zero bias; the prototype layer keeps PyTorch's Linear default).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>

namespace pathodino::models {

struct DinoHeadSpec {
  int64_t in_dim = 384;
  int64_t n_prototypes = 65536;
  int64_t hidden_dim = 2048;
  int64_t bottleneck_dim = 256;
  int64_t nlayers = 3;
};

class DinoHeadImpl : public torch::nn::Module {
 public:
  DinoHeadImpl(const DinoHeadSpec& spec, uint64_t seed);
  torch::Tensor forward(const torch::Tensor& x);  // [..., in_dim] → [..., n_prototypes]
  // The prototype matrix before normalisation (its rows are normalised in forward); the trainer
  // freezes it during the first epoch.
  torch::Tensor& last_layer_weight() { return last_layer_; }

 private:
  torch::nn::Sequential mlp_{nullptr};
  torch::Tensor last_layer_;
};
TORCH_MODULE(DinoHead);

}  // namespace pathodino::models
