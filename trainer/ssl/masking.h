// iBOT masks, DINOv2's way: of a batch of B images, int(B · probability) are masked; image i of
// those gets a target share drawn from the i-th of equal slices of [min_ratio, max_ratio]; each
// mask is grown from random rectangles (area ≥ 4 patches, log-uniform aspect 0.3–3.3, at most half
// the grid per rectangle) until it holds its share. The masked images come first; the caller
// shuffles if it wants. Deterministic for a given generator state.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace pathodino::ssl {

struct MaskingOptions {
  int64_t grid_h = 14, grid_w = 14;
  double mask_probability = 0.5;
  double min_ratio = 0.1, max_ratio = 0.5;
};

// One mask per image, row-major grid_h × grid_w, true = masked.
std::vector<std::vector<bool>> generate_masks(const MaskingOptions& options, int64_t batch,
                                              std::mt19937_64& rng);

// A single block mask with (about) `target_patches` masked.
std::vector<bool> block_mask(int64_t grid_h, int64_t grid_w, int64_t target_patches,
                             std::mt19937_64& rng);

}  // namespace pathodino::ssl
