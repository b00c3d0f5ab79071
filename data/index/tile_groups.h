// Groups of an index's tiles by one slide column (patient, site, scanner, …) for balanced
// sampling: each group lists its tiles as runs of consecutive indices, so a group costs a few words
// per slide, not per tile. Slides without the column form the group "(none)".
#pragma once

#include <string>
#include <vector>

#include "data/index/tile_index.h"
#include "data/loader/sample_order.h"

namespace pathodino::data {

// Throws IndexError naming the index and the column when no slide carries the column.
std::vector<SampleGroup> tile_groups(const TileIndex& index, const std::string& column);

}  // namespace pathodino::data
