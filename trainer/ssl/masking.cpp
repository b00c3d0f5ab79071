#include "trainer/ssl/masking.h"

#include <algorithm>
#include <cmath>

namespace pathodino::ssl {
namespace {

constexpr int64_t kMinRectanglePatches = 4;
constexpr double kMinAspect = 0.3;

// Adds one random rectangle of at most `budget` new patches; returns how many it added.
int64_t add_rectangle(std::vector<bool>& mask, int64_t h_grid, int64_t w_grid, int64_t budget,
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
      for (int64_t j = left; j < left + w; ++j) mask[i * w_grid + j] = true;
    return fresh;
  }
  return 0;
}

}  // namespace

std::vector<bool> block_mask(int64_t grid_h, int64_t grid_w, int64_t target_patches,
                             std::mt19937_64& rng) {
  std::vector<bool> mask(grid_h * grid_w, false);
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

std::vector<std::vector<bool>> generate_masks(const MaskingOptions& o, int64_t batch,
                                              std::mt19937_64& rng) {
  const int64_t patches = o.grid_h * o.grid_w;
  const auto masked = static_cast<int64_t>(static_cast<double>(batch) * o.mask_probability);
  std::vector<std::vector<bool>> masks;
  for (int64_t i = 0; i < masked; ++i) {
    const double low = o.min_ratio + (o.max_ratio - o.min_ratio) * static_cast<double>(i) /
                                         static_cast<double>(masked);
    const double high = o.min_ratio + (o.max_ratio - o.min_ratio) * static_cast<double>(i + 1) /
                                          static_cast<double>(masked);
    const double share = std::uniform_real_distribution<double>(low, high)(rng);
    masks.push_back(block_mask(o.grid_h, o.grid_w,
                               static_cast<int64_t>(static_cast<double>(patches) * share), rng));
  }
  while (static_cast<int64_t>(masks.size()) < batch) masks.emplace_back(patches, false);
  return masks;
}

}  // namespace pathodino::ssl
