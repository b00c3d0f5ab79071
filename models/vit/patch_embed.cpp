#include "models/vit/patch_embed.h"

namespace pathodino::models {

PatchEmbedImpl::PatchEmbedImpl(int64_t patch_size, int64_t embed_dim) : patch_size_(patch_size) {
  proj_ = register_module(
      "proj",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, embed_dim, patch_size).stride(patch_size)));
}

torch::Tensor PatchEmbedImpl::forward(const torch::Tensor& images) {
  TORCH_CHECK(
      images.dim() == 4 && images.size(2) % patch_size_ == 0 && images.size(3) % patch_size_ == 0,
      "images must be [B, 3, H, W] with H and W multiples of the patch size ", patch_size_,
      ", got ", images.sizes());
  return proj_->forward(images).flatten(2).transpose(1, 2);
}

}  // namespace pathodino::models
