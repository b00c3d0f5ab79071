// The QA picture of an indexed slide — people check tissue masks by looking: the slide's smallest
// pyramid level with what the mask calls background tinted blue, the mask's border in green, and
// every kept tile outlined (yellow for the first target µm/px, then magenta, cyan, …).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/rgb_image.h"
#include "data/slide/tile_grid.h"
#include "data/slide/tissue_mask.h"

namespace pathodino::data {

// `thumbnail` and `mask` cover the whole slide (level-0 size `slide_width` × `slide_height`).
RgbImage qa_thumbnail(const RgbImage& thumbnail, const TissueMask& mask,
                      const std::vector<TileGrid>& grids, int64_t slide_width,
                      int64_t slide_height);

// The outline colours, in grid order (cycled).
const uint8_t* qa_grid_colour(std::size_t grid);

}  // namespace pathodino::data
