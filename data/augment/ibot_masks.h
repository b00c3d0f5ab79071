// iBOT masks, DINOv2's recipe, computed one global crop at a time so the loader makes each image's
// masks next to its crops. Of a step's C global crops (the global batch's 2 per image), int(C · p)
// are masked; the k-th of those gets a target share drawn from the k-th of equal slices of
// [min_ratio, max_ratio]. Which crops are masked, and which slice each gets, is a keyed
// permutation of the crop slots (DINOv2 shuffles its list of masks), so a crop's mask needs
// O(grid²) work whatever the global batch, and does not depend on how the batch is split over
// ranks, micro-batches or threads. A mask is grown from random rectangles (area ≥ 4 patches,
// log-uniform aspect 0.3–3.3, at most half the grid per rectangle) until it holds its share.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace pathodino::data {

struct IbotMasking {
  int64_t grid = 0;  // patches per side of a global crop; 0 = no masks
  double probability = 0.5;
  double min_ratio = 0.1, max_ratio = 0.5;
};

// Row-major grid × grid, 1 = masked, for crop `slot` (0 ≤ slot < crops) of the step's `crops`
// global crops; deterministic in (seed, step, slot).
std::vector<uint8_t> ibot_mask(const IbotMasking& options, int64_t crops, uint64_t seed,
                               int64_t step, int64_t slot);

// A single block mask with (about) `target_patches` masked.
std::vector<uint8_t> block_mask(int64_t grid_h, int64_t grid_w, int64_t target_patches,
                                std::mt19937_64& rng);

}  // namespace pathodino::data
