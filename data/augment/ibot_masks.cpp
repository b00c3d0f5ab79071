#include "data/augment/ibot_masks.h"

#include <algorithm>
#include <cmath>

#include "data/index_permutation.h"
#include "data/seed_mix.h"

namespace pathodino::data {
namespace {

constexpr int64_t kMinRectanglePatches = 4;
constexpr double kMinAspect = 0.3;

// Adds one random rectangle of at most `budget` new patches; returns how many it added.
int64_t add_rectangle(std::vector<uint8_t>& mask, int64_t h_grid, int64_t w_grid, int64_t budget,
                      int64_t max_patches, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> log_aspect(std::log(kMinAspect), std::log(1 / kMinAspect));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int attempt = 0; attempt < 10; ++attempt) {
    // Python's random.uniform(a, b): a + (b − a)·u, also when b < a (a budget under 4 patches).
    const double upper = static_cast<double>(std::min(budget, max_patches));
    const double area = kMinRectanglePatches + (upper - kMinRectanglePatches) * unit(rng);
    const double aspect = std::exp(log_aspect(rng));
    const auto h = static_cast<int64_t>(std::lround(std::sqrt(area * aspect)));
    const auto w = static_cast<int64_t>(std::lround(std::sqrt(area / aspect)));
    if (w >= w_grid || h >= h_grid) continue;
    const int64_t top = std::uniform_int_distribution<int64_t>(0, h_grid - h)(rng);
    const int64_t left = std::uniform_int_distribution<int64_t>(0, w_grid - w)(rng);
    int64_t already = 0;
    for (int64_t i = top; i < top + h; ++i)
      for (int64_t j = left; j < left + w; ++j) already += mask[i * w_grid + j];
    const int64_t fresh = h * w - already;
    if (fresh <= 0 || fresh > budget) continue;
    for (int64_t i = top; i < top + h; ++i)
      for (int64_t j = left; j < left + w; ++j) mask[i * w_grid + j] = 1;
    return fresh;
  }
  return 0;
}

}  // namespace

std::vector<uint8_t> block_mask(int64_t grid_h, int64_t grid_w, int64_t target_patches,
                                std::mt19937_64& rng) {
  std::vector<uint8_t> mask(grid_h * grid_w, 0);
  const int64_t max_patches = grid_h * grid_w / 2;
  int64_t count = 0;
  while (count < target_patches) {
    const int64_t added =
        add_rectangle(mask, grid_h, grid_w, target_patches - count, max_patches, rng);
    if (added == 0) break;  // no rectangle fits the remaining budget
    count += added;
  }
  return mask;
}

std::vector<uint8_t> ibot_mask(const IbotMasking& o, int64_t crops, uint64_t seed, int64_t step,
                               int64_t slot) {
  const int64_t patches = o.grid * o.grid;
  const auto masked = static_cast<int64_t>(static_cast<double>(crops) * o.probability);
  const uint64_t key = mix_seed({seed, static_cast<uint64_t>(step), 0x1b07});
  const int64_t k = IndexPermutation(crops, key)(slot);  // this crop's place in the shuffled list
  if (k >= masked) return std::vector<uint8_t>(patches, 0);
  const double slice = (o.max_ratio - o.min_ratio) / static_cast<double>(masked);
  const double low = o.min_ratio + slice * static_cast<double>(k);
  std::mt19937_64 rng(mix_seed({key, static_cast<uint64_t>(slot)}));
  const double share = std::uniform_real_distribution<double>(low, low + slice)(rng);
  return block_mask(o.grid, o.grid, static_cast<int64_t>(static_cast<double>(patches) * share),
                    rng);
}

}  // namespace pathodino::data
