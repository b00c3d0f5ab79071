// The tiles of one slide at a target scale: a grid of non-overlapping squares of `tile_size`
// pixels at `target_mpp`, kept when the tissue mask covers at least `tissue_threshold` of them.
// Each tile says where to read it: the pyramid level whose resolution is the finest not finer
// than needed, and the region size at that level (resized to tile_size when read).
#pragma once

#include <cstdint>
#include <vector>

#include "data/slide/tissue_mask.h"

namespace pathodino::data {

struct TileGridOptions {
  double target_mpp = 0.5;
  int64_t tile_size = 224;
  double tissue_threshold = 0.6;
};

struct SlideGeometry {
  int64_t width = 0, height = 0;         // level 0
  double mpp = 0.5;                      // level 0
  std::vector<double> level_downsample;  // per level, level 0 first (1.0)
};

struct TileLocation {
  int64_t x = 0, y = 0;  // level-0 top-left
  int32_t level = 0;
  int64_t read_size = 0;  // square side to read at `level`
  float tissue = 0;       // share of the tile the mask calls tissue
};

struct TileGrid {
  int64_t extent = 0;  // level-0 pixels per tile side
  int64_t columns = 0, rows = 0;
  std::vector<TileLocation> kept;
};

// `mask` covers the whole slide (its pixels map linearly onto level 0).
TileGrid tile_grid(const SlideGeometry& slide, const TissueMask& mask,
                   const TileGridOptions& options);

}  // namespace pathodino::data
