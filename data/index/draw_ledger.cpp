#include "data/index/draw_ledger.h"

#include <stdexcept>
#include <string>

namespace pathodino::data {

SlideDraws count_draws(const SampleOrder& order, const TileIndex& index, int64_t positions) {
  if (positions < 0)
    throw std::invalid_argument("count_draws: negative position " + std::to_string(positions));
  const size_t slides = index.slides().size();
  SlideDraws counts{std::vector<int64_t>(slides, 0), std::vector<int64_t>(slides, 0)};
  std::vector<bool> seen(static_cast<size_t>(index.size()), false);
  for (int64_t p = 0; p < positions; ++p) {
    const int64_t tile = order.at(p);
    if (tile < 0 || tile >= index.size())
      throw std::out_of_range(index.file().string() + ": the sample order names tile " +
                              std::to_string(tile) + " of " + std::to_string(index.size()) +
                              ": another index than the run's");
    const size_t slide = index.grids()[index.tile(tile).grid].slide;
    ++counts.draws[slide];
    if (!seen[static_cast<size_t>(tile)]) {
      seen[static_cast<size_t>(tile)] = true;
      ++counts.distinct_tiles[slide];
    }
  }
  return counts;
}

}  // namespace pathodino::data
