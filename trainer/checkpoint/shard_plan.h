// Which rank writes which tensor of a checkpoint: largest first, each to the rank with the fewest
// bytes so far (ties: the lower rank) — shards of nearly equal size written in parallel, and the
// same plan on every rank without communication.
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::checkpoint {

// Rank of each tensor, given each tensor's bytes. `fixed[i]` ≥ 0 pins tensor i to that rank (only
// it holds the tensor: ZeRO-1 optimizer state); the others are balanced around the pinned load.
std::vector<int> assign_shards(const std::vector<int64_t>& bytes, int world_size,
                               const std::vector<int>& fixed = {});

}  // namespace pathodino::checkpoint
