// OptimizerShards: ZeRO-1 (distributed.zero1) at tensor granularity, as torch's
// ZeroRedundancyOptimizer does it. Each student tensor has one owner rank (largest tensors first,
// each to the least-loaded rank); only the owner keeps AdamW state for it and steps it, so
// optimizer memory per rank is about 1/N. Gradients are still all-reduced (bucketed, overlapped,
// as in plain data parallel: gradient clipping needs every full gradient); after the step every
// owner broadcasts the tensors it updated, one flat broadcast per owner. Results equal plain data
// parallel's: the same arithmetic, done once, then copied.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "trainer/dist/communicator.h"

namespace pathodino::dist {

class OptimizerShards {
 public:
  OptimizerShards(std::vector<torch::Tensor> params, Communicator& comm);

  int owner(size_t i) const { return owner_[i]; }
  bool owns(size_t i) const { return owner_[i] == comm_.rank(); }
  const std::vector<int>& owners() const { return owner_; }

  // Every rank takes each tensor's values from its owner.
  void broadcast_updated();

 private:
  std::vector<torch::Tensor> params_;
  std::vector<int> owner_;
  Communicator& comm_;
};

}  // namespace pathodino::dist
