#include "models/heads/dino_head.h"

#include <ATen/ops/_weight_norm.h>
#include <torch/nn/functional/normalization.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/linear.h>

namespace pathodino::models {

DinoHeadImpl::DinoHeadImpl(const DinoHeadSpec& spec, uint64_t seed) {
  TORCH_CHECK(spec.nlayers >= 1, "a DINO head needs at least one layer");
  torch::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto make_linear = [&](int64_t in, int64_t out) {
    torch::nn::Linear linear(in, out);
    linear->weight.normal_(0.0, 0.02, gen);
    linear->bias.zero_();
    return linear;
  };
  // DINOv2 builds a one-layer MLP as a bare Linear (names mlp.weight/bias) and a deeper one as a
  // Sequential with GELUs at the odd indices (mlp.{0,2,4}); the names follow, so heads load.
  if (spec.nlayers == 1) {
    linear_mlp_ = register_module("mlp", make_linear(spec.in_dim, spec.bottleneck_dim));
  } else {
    torch::nn::Sequential layers;
    int64_t in = spec.in_dim;
    for (int64_t layer = 0; layer < spec.nlayers; ++layer) {
      const int64_t out = layer + 1 == spec.nlayers ? spec.bottleneck_dim : spec.hidden_dim;
      layers->push_back(make_linear(in, out));
      if (layer + 1 < spec.nlayers) layers->push_back(torch::nn::GELU());
      in = out;
    }
    deep_mlp_ = register_module("mlp", layers);
  }
  auto last_layer = register_module("last_layer", std::make_shared<torch::nn::Module>());
  const double bound = 1.0 / std::sqrt(static_cast<double>(spec.bottleneck_dim));
  auto gain = torch::ones({spec.n_prototypes, 1});
  weight_g_ = spec.trainable_gain ? last_layer->register_parameter("weight_g", gain)
                                  : last_layer->register_buffer("weight_g", gain);
  weight_v_ = last_layer->register_parameter(
      "weight_v",
      torch::empty({spec.n_prototypes, spec.bottleneck_dim}).uniform_(-bound, bound, gen));
}

torch::Tensor DinoHeadImpl::forward(const torch::Tensor& x) {
  namespace F = torch::nn::functional;
  const double eps = x.scalar_type() == torch::kFloat16 ? 1e-6 : 1e-12;
  const auto bottleneck =
      F::normalize(linear_mlp_ ? linear_mlp_->forward(x) : deep_mlp_->forward(x),
                   F::NormalizeFuncOptions().dim(-1).eps(eps));
  const auto prototypes = at::_weight_norm(weight_v_, weight_g_, /*dim=*/0);
  return torch::matmul(bottleneck, prototypes.to(bottleneck.scalar_type()).t());
}

}  // namespace pathodino::models
