// Which tiles of a tile index a run has drawn, from the sample order alone. Note [Data ledger]:
// the images of the steps done are exactly the positions [0, P) of the global sample stream, P
// the sampler position a checkpoint stores, whatever world size each part of the run had (a
// resume reads on from P: sharded_sampler.h). So the sample order that training built from the
// config and the index (source_factory.h), and P, give every draw without a log of them; the
// index's SHA-256 in the checkpoint pins the tiles those positions name.
#pragma once

#include <cstdint>
#include <vector>

#include "data/index/tile_index.h"
#include "data/loader/sample_order.h"

namespace pathodino::data {

// Per slide of `index`, in index order: draws (a tile drawn in two epochs counts twice) and
// distinct tiles drawn.
struct SlideDraws {
  std::vector<int64_t> draws, distinct_tiles;
};

// The draws of positions [0, positions) of `order`, whose dataset indices are `index`'s tiles.
SlideDraws count_draws(const SampleOrder& order, const TileIndex& index, int64_t positions);

}  // namespace pathodino::data
