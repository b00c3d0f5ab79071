// Teacher centering: turns teacher logits [N, K] into target distributions, with either
//  - SoftmaxCenter: softmax((t − c) / τ), where c is an EMA (momentum m) of the global batch mean
//    of the teacher logits, updated once per optimizer step after use (DINO) — with gradient
//    accumulation, every micro-batch of a step is centred with the same c, and the step's mean
//    over all micro-batches and ranks moves it, exactly as if the step were one batch; or
//  - Sinkhorn-Knopp: exp(t / τ) normalised alternately over prototypes and samples, `iterations`
//    times, so that prototypes are used equally across the global batch (SwAV/DINOv2).
// Sums are reduced over ranks through AllReduceSum, so the result does not depend on how the
// global batch is split.
#pragma once

#include <cstdint>

#include "trainer/ssl/collectives.h"

namespace pathodino::ssl {

class SoftmaxCenter {
 public:
  SoftmaxCenter(int64_t n_prototypes, double momentum);
  // Targets for `teacher_logits` [N, K] with the current center; remembers their sum for update().
  torch::Tensor apply(const torch::Tensor& teacher_logits, double temperature);
  // Moves the center towards the mean of every row applied since the last update, over all ranks
  // (one all-reduce of sums and row count).
  void update(const AllReduceSum& all_reduce);
  // Forgets what was applied since the last update (a skipped step).
  void discard_pending();
  const torch::Tensor& center() const { return center_; }
  torch::Tensor& center() { return center_; }  // checkpointed state

 private:
  torch::Tensor center_;   // [1, K], fp32
  torch::Tensor pending_;  // [1, K + 1]: row sums and row count since the last update
  double momentum_;
};

// `teacher_logits` [N, K] → assignments [N, K] whose rows sum to 1. The logits are the DINO head's
// cosines (|t| ≤ 1), so exp(t / τ) cannot overflow for any τ ≥ 0.02 in fp32, as in DINOv2.
torch::Tensor sinkhorn_knopp(const torch::Tensor& teacher_logits, double temperature,
                             int64_t iterations, const AllReduceSum& all_reduce);

}  // namespace pathodino::ssl
