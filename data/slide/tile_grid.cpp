#include "data/slide/tile_grid.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pathodino::data {

TileGrid tile_grid(const SlideGeometry& slide, const TissueMask& mask,
                   const TileGridOptions& options) {
  if (!(slide.mpp > 0) || !(options.target_mpp > 0) || options.tile_size <= 0)
    throw std::invalid_argument("tile grid: µm/px and tile size must be positive");
  const double scale = options.target_mpp / slide.mpp;  // level-0 px per target px
  TileGrid grid;
  grid.extent = std::max<int64_t>(1, std::llround(static_cast<double>(options.tile_size) * scale));
  grid.columns = slide.width / grid.extent;
  grid.rows = slide.height / grid.extent;
  // Finest level that is not finer than the target (reading less, resizing down at most).
  int32_t level = 0;
  for (size_t l = 0; l < slide.level_downsample.size(); ++l)
    if (slide.level_downsample[l] <= scale * (1 + 1e-6)) level = static_cast<int32_t>(l);
  const double downsample = slide.level_downsample.empty() ? 1.0 : slide.level_downsample[level];
  const int64_t read_size = std::max<int64_t>(1, std::llround(grid.extent / downsample));
  const double mx = static_cast<double>(mask.width) / static_cast<double>(slide.width);
  const double my = static_cast<double>(mask.height) / static_cast<double>(slide.height);
  for (int64_t r = 0; r < grid.rows; ++r)
    for (int64_t c = 0; c < grid.columns; ++c) {
      const int64_t x = c * grid.extent, y = r * grid.extent;
      // Mask pixels whose centres fall inside the tile.
      const int64_t x0 = std::llround(x * mx),
                    x1 = std::max<int64_t>(x0 + 1, std::llround((x + grid.extent) * mx));
      const int64_t y0 = std::llround(y * my),
                    y1 = std::max<int64_t>(y0 + 1, std::llround((y + grid.extent) * my));
      int64_t inside = 0, total = 0;
      for (int64_t yy = y0; yy < std::min(y1, mask.height); ++yy)
        for (int64_t xx = x0; xx < std::min(x1, mask.width); ++xx) {
          inside += mask.tissue[yy * mask.width + xx];
          ++total;
        }
      const float share = total > 0 ? static_cast<float>(inside) / static_cast<float>(total) : 0.f;
      if (share >= options.tissue_threshold && share > 0)
        grid.kept.push_back({x, y, level, read_size, share});
    }
  return grid;
}

}  // namespace pathodino::data
