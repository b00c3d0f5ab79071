// ModelOptions: the `model:` section of an experiment config — the ViT backbone shared by student
// and teacher. Defaults are DINOv2's (dinov2/configs/ssl_default_config.yaml, `student:`).
#pragma once

#include <cstdint>
#include <string>

namespace pathodino::models {

enum class FfnKind { mlp, swiglu };

enum class DropPathSchedule { uniform, linear };

struct ModelOptions {
  std::string arch = "vit_large";  // a name from models/vit_sizes.h
  int64_t patch_size = 16;         // pixels; must divide every crop size
  int64_t num_register_tokens = 0;
  double drop_path_rate = 0.3;
  DropPathSchedule drop_path_schedule = DropPathSchedule::uniform;
  double layerscale_init = 1e-5;  // 0 turns LayerScale off
  FfnKind ffn = FfnKind::mlp;
  bool qkv_bias = true;
  // Position-grid resampling for other crop sizes: DINOv2's 0.1, or 0 (by size, as timm).
  double interpolate_offset = 0.1;
  std::string pretrained;  // safetensors backbone to start from; empty = random init
};

}  // namespace pathodino::models
