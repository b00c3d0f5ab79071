// VisionTransformer: DINOv2's backbone. Tokens are [CLS + pos₀, registers (no position),
// patches + pos₁..]; the learned position embedding is resampled (bicubic, Note [Interpolation
// offset] in position_grid.h) to any crop whose sides are multiples of the patch; masked patches
// (iBOT) are replaced by a learned mask token before positions are added. Parameter names are
// DINOv2's, so named_parameters() is the export.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include "models/vit/patch_embed.h"
#include "models/vit_spec.h"

namespace pathodino::models {

struct VitOutput {
  torch::Tensor cls;        // [B, D], after the final LayerNorm
  torch::Tensor registers;  // [B, R, D]
  torch::Tensor patches;    // [B, H/p · W/p, D]
};

// Note [Last block on read tokens]: a token's output leaves the last block only through its own
// row — the attention there mixes every token into each query, but nothing mixes the outputs
// again. So where a caller reads only some tokens (the SSL losses read CLS, and the masked
// patches for iBOT), the last block's projection, residuals, FFN and the final norm need to run
// on those rows alone, keys and values still coming from every token. Same values and gradients
// for the rows read; for ViT-S/16 with DINOv2's crops that skips about 5% of a training step's
// matrix products.
struct VitReadOutput {
  torch::Tensor cls;      // [B, D], after the final LayerNorm
  torch::Tensor patches;  // [M, D]: the patches at `read`, in its row-major order (or undefined)
};

class VisionTransformerImpl : public torch::nn::Module {
 public:
  explicit VisionTransformerImpl(const VitSpec& spec);

  // images: [B, 3, H, W]; masks: optional bool [B, H/p · W/p], true = replace by the mask token.
  VitOutput forward(const torch::Tensor& images, const torch::Tensor& masks = {});
  // The CLS token and the patches at `read` (bool [B, H/p · W/p]; undefined: none) of
  // forward(images, masks), the last block run for those tokens only: Note [Last block on read
  // tokens].
  VitReadOutput forward_read(const torch::Tensor& images, const torch::Tensor& masks,
                             const torch::Tensor& read);

  // The position embedding for an h × w patch grid: [1, 1 + h·w, D] (row 0 belongs to CLS).
  torch::Tensor position_embedding(int64_t grid_h, int64_t grid_w) const;

  const VitSpec& spec() const { return spec_; }
  // DINOv2's init: Linear weights truncated-normal (std 0.02) with zero bias, position embedding
  // truncated-normal (0.02), CLS and registers normal (1e-6), mask token zero.
  void reset_parameters(uint64_t seed);

 private:
  // The token sequence entering the first block: [B, 1 + R + P, D].
  torch::Tensor embed(const torch::Tensor& images, const torch::Tensor& masks);

  VitSpec spec_;
  PatchEmbed patch_embed_{nullptr};
  torch::Tensor cls_token_, pos_embed_, register_tokens_, mask_token_;
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
};
TORCH_MODULE(VisionTransformer);

// Drop-path rate of block `index` under the spec's schedule.
double drop_path_rate_of_block(const VitSpec& spec, int64_t index);

// Number of parameters (elements), the quantity reported as "21M" for ViT-S/14.
int64_t count_parameters(const torch::nn::Module& module);

}  // namespace pathodino::models
