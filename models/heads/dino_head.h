// DinoHead: the DINO/iBOT projection head, DINOv2's layers/dino_head.py —
//   MLP (nlayers Linear layers, GELU between) → L2-normalised bottleneck → prototypes,
// where the prototype layer is weight-normalised (torch.nn.utils.weight_norm, dim 0): prototype k
// is g_k · v_k / ‖v_k‖. DINOv2 fills the gains g with 1 and trains them; with `trainable_gain`
// false they stay 1 (a buffer), so every prototype is unit length and logits are cosines (DINO v1's
// norm_last_layer). Tensor names are DINOv2's, so its head checkpoints load:
// mlp.{0,2,4}.weight/bias (a one-layer MLP: mlp.weight/bias), last_layer.weight_g [K, 1],
// last_layer.weight_v [K, bottleneck]. Initialised as DINOv2 (truncated normal 0.02, zero bias; the
// prototype layer keeps PyTorch's Linear default).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

namespace pathodino::models {

struct DinoHeadSpec {
  int64_t in_dim = 384;
  int64_t n_prototypes = 65536;
  int64_t hidden_dim = 2048;
  int64_t bottleneck_dim = 256;
  int64_t nlayers = 3;
  bool trainable_gain = true;  // DINOv2: the weight-norm gains g are parameters
};

class DinoHeadImpl : public torch::nn::Module {
 public:
  DinoHeadImpl(const DinoHeadSpec& spec, uint64_t seed);
  torch::Tensor forward(const torch::Tensor& x);  // [..., in_dim] → [..., n_prototypes]
  // The prototype directions v before normalisation, and their gains g; the trainer freezes both
  // during the first epoch(s) (names containing "last_layer").
  torch::Tensor& last_layer_weight() { return weight_v_; }
  torch::Tensor& last_layer_gain() { return weight_g_; }

 private:
  // One of the two, as DINOv2 builds the MLP: a bare Linear for one layer, else a Sequential.
  torch::nn::Linear linear_mlp_{nullptr};
  torch::nn::Sequential deep_mlp_{nullptr};
  torch::Tensor weight_v_, weight_g_;
};
TORCH_MODULE(DinoHead);

}  // namespace pathodino::models
