// How the ranks hold one parameter's AdamW state. In plain data parallel every rank holds it
// whole (one piece, owner -1, `stepped` = the parameter). Under ZeRO-1
// (distributed/optimizer_shards.h) the flattened parameter is cut into pieces — its share of each
// rank's chunk of the gradient bucket it lives in — and each piece's state lives on one rank only,
// which steps the piece.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace pathodino::optim {

struct OptimizerPiece {
  int owner = -1;                 // the rank holding this piece; -1: every rank, whole tensor
  int64_t offset = 0, numel = 0;  // elements of the flattened parameter
  torch::Tensor stepped;          // on the holding rank: what AdamW steps (aliases the parameter)
};

// One entry per parameter, its pieces in offset order, covering it exactly.
using OptimizerLayout = std::vector<std::vector<OptimizerPiece>>;

}  // namespace pathodino::optim
