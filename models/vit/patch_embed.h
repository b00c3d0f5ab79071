// PatchEmbed: image [B, 3, H, W] → patch tokens [B, H/p · W/p, D] by a p×p stride-p convolution.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>

namespace pathodino::models {

class PatchEmbedImpl : public torch::nn::Module {
 public:
  PatchEmbedImpl(int64_t patch_size, int64_t embed_dim);
  torch::Tensor forward(const torch::Tensor& images);
  int64_t patch_size() const { return patch_size_; }
  torch::nn::Conv2d& proj() { return proj_; }

 private:
  int64_t patch_size_;
  torch::nn::Conv2d proj_{nullptr};  // "proj", as in DINOv2/timm
};
TORCH_MODULE(PatchEmbed);

}  // namespace pathodino::models
