// How an index's tiles map onto feature files: one file per grid of each slide (a slide indexed at
// two µm/px gets two), named after the slide's file stem or pseudonym (plus the µm/px when it has
// several grids), its rows the grid's tiles in index order. `embed` writes by this plan and
// `curate` reads by it, so a row of a file is always the same tile of the index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/index/pseudonyms.h"
#include "data/index/tile_index.h"

namespace pathodino::features {

struct FeaturePart {
  uint32_t slide = 0;
  int64_t grid = -1;           // -1: a slide without tiles
  std::string name;            // the file stem; the file is name + ".h5"
  std::vector<int64_t> tiles;  // index positions, one per row
  std::string file() const { return name + ".h5"; }
};

// Throws std::runtime_error naming the index and both slides when two would share a file name.
// With `pseudonyms` files are named by feature_slide_names instead.
std::vector<FeaturePart> plan_feature_parts(const data::TileIndex& index,
                                            const data::Pseudonyms* pseudonyms = nullptr);

// The name each slide of `index` has in its feature files and reports, in index order: its file
// stem, or its pseudonym (Note [Pseudonyms]), "-2", "-3", … added for further copies of the same
// content (which share a pseudonym).
std::vector<std::string> feature_slide_names(const data::TileIndex& index,
                                             const data::Pseudonyms* pseudonyms);

}  // namespace pathodino::features
