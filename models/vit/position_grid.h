// Resampling a ViT's patch position embeddings to another patch grid (bicubic, no antialiasing).
//
// Note [Interpolation offset]: DINOv2 (dinov2/models/vision_transformer.py,
// interpolate_pos_encoding) does not resample a g×g grid to H×W by size; it passes the scale
// factors ((H + offset) / g, (W + offset) / g) with offset 0.1, and bicubic interpolation maps
// output pixels back to input coordinates with those factors. The output is still H×W, but its
// values differ from a resampling by size (by ~1e-3 of the features at 224 → 448). Weights trained
// by DINOv2 expect the offset at every resolution but their own; 0 resamples by size (timm).
// The forward pass (local crops, other resolutions) and the import of weights stored for another
// grid both resample here, so the two agree.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace pathodino::models {

// `patch_positions` [1, g·g, D] (row-major g×g grid) → [1, H·W, D] in the input's dtype.
torch::Tensor resample_patch_positions(const torch::Tensor& patch_positions, int64_t grid_h,
                                       int64_t grid_w, double offset);

}  // namespace pathodino::models
