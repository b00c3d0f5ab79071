// Attention-based multiple-instance learning (Ilse, Tomczak & Welling 2018, gated attention): a
// slide is a bag of tile embeddings h_i; a_i ∝ exp(w · (tanh(V h_i) ⊙ sigmoid(U h_i))) weighs
// each tile, the slide is the weighted sum of the tiles' hidden features, a linear layer gives
// its class logits. The attention is what the heat maps show.
#pragma once

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace pathodino::mil {

struct AbmilOptions {
  int64_t input_dim = 0;
  int64_t hidden_dim = 128;    // tiles are first projected to this, ReLU
  int64_t attention_dim = 64;  // width of the gated attention's two branches
  int64_t classes = 2;
  double dropout = 0.25;  // on the projected tiles, while training
};

struct AbmilOutput {
  torch::Tensor logits;     // [classes]
  torch::Tensor attention;  // [tiles], sums to 1
};

class AbmilImpl : public torch::nn::Module {
 public:
  explicit AbmilImpl(const AbmilOptions& options);
  AbmilOutput forward(const torch::Tensor& bag);  // bag: [tiles, input_dim], tiles ≥ 1

 private:
  torch::nn::Linear project_{nullptr}, attention_v_{nullptr}, attention_u_{nullptr},
      attention_w_{nullptr}, classifier_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};
TORCH_MODULE(Abmil);

}  // namespace pathodino::mil
