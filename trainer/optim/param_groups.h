// Parameter groups for AdamW, DINOv2's way (dinov2/utils/param_groups.py), one entry per tensor:
//  - lr multiplier: layer-wise decay  decay^(depth + 1 − layer), where patch embedding, position
//    embedding and CLS/register/mask tokens are layer 0, block i is layer i + 1 and everything
//    else (final norm, heads) is layer depth + 1; times patch_embed_lr_mult for the patch
//    embedding;
//  - weight decay multiplier 0 for biases, norms and LayerScale gammas, 1 otherwise — the position
//    embedding and the CLS/register/mask tokens included, unless `decay_embeddings` is false;
//  - `last_layer` marks the heads' prototypes (directions and gains), frozen during the first
//    epoch(s).
#pragma once

#include <string>
#include <vector>

#include <torch/types.h>

#include "trainer/optim/optim_options.h"

namespace pathodino::optim {

struct ParamGroup {
  std::string name;  // e.g. "backbone.blocks.3.attn.qkv.weight", "dino_head.last_layer.weight_v"
  torch::Tensor param;
  double lr_multiplier = 1.0;
  double wd_multiplier = 1.0;
  bool is_last_layer = false;
  bool is_backbone = false;  // follows the backbone's lr schedule (heads-only warm-up)
};

// `backbone_params` are named as in VisionTransformer ("blocks.3...."); `head_params` keep their
// own names and get the multipliers of the top layer. Reads layerwise_decay, patch_embed_lr_mult
// and decay_embeddings.
std::vector<ParamGroup> make_param_groups(
    const std::vector<std::pair<std::string, torch::Tensor>>& backbone_params, int64_t depth,
    const std::vector<std::pair<std::string, torch::Tensor>>& head_params,
    const OptimOptions& rules);

}  // namespace pathodino::optim
