// Teacher centering: turns teacher logits [N, K] into target distributions, with either
//  - SoftmaxCenter: softmax((t − c) / τ), where c is an EMA (momentum m) of the global batch mean
//    of the teacher logits, updated after use (DINO); or
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
  // Targets for `teacher_logits` [N, K] with the current center; then moves the center towards
  // this batch's mean over all ranks (`global_count` rows in total across ranks).
  torch::Tensor apply(const torch::Tensor& teacher_logits, double temperature,
                      const AllReduceSum& all_reduce);
  const torch::Tensor& center() const { return center_; }
  torch::Tensor& center() { return center_; }  // checkpointed state

 private:
  torch::Tensor center_;  // [1, K], fp32
  double momentum_;
};

// `teacher_logits` [N, K] → assignments [N, K] whose rows sum to 1. The logits are the DINO head's
// cosines (|t| ≤ 1), so exp(t / τ) cannot overflow for any τ ≥ 0.02 in fp32, as in DINOv2.
torch::Tensor sinkhorn_knopp(const torch::Tensor& teacher_logits, double temperature,
                             int64_t iterations, const AllReduceSum& all_reduce);

}  // namespace pathodino::ssl
