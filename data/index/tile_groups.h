// Groups of an index's tiles by one column for balanced sampling: a tile column (the clusters
// `curate` writes: cluster_l1, …) or else a slide column (patient, site, scanner, …). Each group
// lists its tiles as runs of consecutive indices, so a group costs a few words per slide, not per
// tile. Slides without the slide column form the group "(none)".
#pragma once

#include <string>
#include <vector>

#include "data/index/tile_index.h"
#include "data/loader/sample_order.h"

namespace pathodino::data {

// Throws IndexError naming the index and the column when neither a tile column nor a slide
// carries it.
std::vector<SampleGroup> tile_groups(const TileIndex& index, const std::string& column);

}  // namespace pathodino::data
