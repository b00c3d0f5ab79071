// VitSpec: one fully resolved ViT architecture. Built from a registry name
// ("vit_small_patch14_reg4") or from the `model:` config section; consumed by VisionTransformer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "models/model_options.h"

namespace pathodino::models {

struct VitSpec {
  std::string size = "vit_small";  // a name from vit_sizes.h
  int64_t embed_dim = 384;
  int64_t depth = 12;
  int64_t num_heads = 6;
  int64_t patch_size = 16;
  int64_t img_size = 224;  // the position embedding's grid is img_size / patch_size
  int64_t num_register_tokens = 0;
  double layerscale_init = 1e-5;  // 0 = no LayerScale
  double drop_path_rate = 0.0;
  DropPathSchedule drop_path_schedule = DropPathSchedule::uniform;
  FfnKind ffn = FfnKind::mlp;
  bool qkv_bias = true;
  double interpolate_offset = 0.1;  // Note [Interpolation offset] (models/vit/position_grid.h)

  // Width of the block MLP's hidden layer; for SwiGLU the width of each of its two halves
  // (DINOv2: 2/3 of 4×, rounded up to a multiple of 8).
  int64_t ffn_hidden_dim() const;
  // The registry name: vit_{size}_patch{P}[_reg{R}].
  std::string name() const;
};

// Parses vit_{tiny|small|base|large|giant}_patch{P}[_reg{R}]; giant gets SwiGLU as in DINOv2.
// Throws std::invalid_argument naming the part that is wrong.
VitSpec vit_spec_from_name(std::string_view name);

// The backbone described by a config's `model:` section, for crops of `img_size` pixels.
VitSpec vit_spec_from_options(const ModelOptions& options, int64_t img_size);

}  // namespace pathodino::models
