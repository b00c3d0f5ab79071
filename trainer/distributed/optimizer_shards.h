// OptimizerShards: ZeRO-1 (distributed.zero1) over the gradient buckets, as Marian and DeepSpeed
// stage 1 shard optimizer state. Each bucket (GradientReducer with reduce_scatter, padded to a
// multiple of the world size) is cut into world-size equal chunks; rank r owns chunk r of every
// bucket. Per step:
//   backward → reduce-scatter each bucket (overlapped, in the reducer) → rank r holds the summed
//   gradient of its chunks only → per-module clipping from norms summed over ranks →
//   AdamW steps the chunk's pieces of parameters → all-gather each bucket's parameters in place.
// Optimizer memory per rank is 1/N of plain data parallel's (plus padding), and the traffic per
// step is one reduce-scatter + one all-gather of the parameters — the bytes of one all-reduce.
// The parameters' storage is moved into one flat buffer per bucket (same layout as the gradient
// bucket), so the all-gather writes them where they live: no copies. Results equal plain data
// parallel's within float rounding (AdamW is elementwise; only the norm sums are ordered
// differently).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "trainer/distributed/communicator.h"
#include "trainer/distributed/gradient_reducer.h"
#include "trainer/optim/optimizer_pieces.h"

namespace pathodino::distributed {

class OptimizerShards {
 public:
  // `params` in the order the reducer was given them; `reducer` must reduce-scatter. Moves the
  // parameters' values into the flat buffers (values unchanged).
  OptimizerShards(std::vector<torch::Tensor> params, const GradientReducer& reducer,
                  Communicator& comm);

  // Every parameter's pieces over the ranks; this rank's pieces carry `stepped`, whose .grad is
  // the reduced gradient of that piece (valid after the reducer's finish_backward).
  const optim::OptimizerLayout& layout() const { return layout_; }

  // DINOv2's per-module clipping on the reduced pieces: `module_of[i]` is parameter i's module
  // (0 … modules − 1); each module's norm is summed over ranks, then its pieces are scaled by
  // max_norm / (norm + 1e-6) when below 1 (max_norm ≤ 0: no clipping). Returns the global L2
  // norm before clipping, identical on every rank (non-finite when any gradient is). Collective.
  double clip_grad_norms(const std::vector<int>& module_of, int modules, double max_norm);

  // After the step: every rank's updated chunks to every rank, bucket by bucket. Collective.
  void all_gather_parameters();

 private:
  Communicator& comm_;
  std::vector<torch::Tensor> flat_params_;  // one per bucket
  optim::OptimizerLayout layout_;
};

}  // namespace pathodino::distributed
