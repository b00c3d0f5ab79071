// SslHealth: the numbers that tell a learning DINO run from a collapsing one, measured on the
// global batch of a step (every rank's share, one all-reduce):
//  - teacher_entropy: mean per-sample entropy of the DINO targets. log K when the targets are
//    uniform ("uniform collapse": the teacher says nothing, and the DINO loss sits at log K);
//  - teacher_kl_to_uniform: KL(mean target ‖ uniform). log K when one prototype takes every
//    sample ("dimensional collapse" of the head);
//  - student_entropy, student_kl_to_uniform: the same for the student's tempered softmax (all
//    crops); a learning student is sharper than uniform, as sharp as its teacher allows;
//  - prototypes_for_90pct: the fewest prototypes that carry 90% of the mean target mass
//    (≈ 0.9 K uniform, 1 under one-prototype collapse);
//  - cls_effective_rank: RankMe (Garrido et al., 2023) of the teacher's global-crop CLS embeddings,
//    exp(entropy of the normalised singular values): 1 when every image maps to one direction, up
//    to min(batch, dim) for embeddings that use every direction;
//  - center_norm: L2 norm of the DINO softmax center (0 under Sinkhorn-Knopp, which has none).
#pragma once

#include <cstdint>

#include <torch/types.h>

#include "trainer/ssl/collectives.h"

namespace pathodino::ssl {

struct SslHealth {
  double teacher_entropy = 0, teacher_kl_to_uniform = 0;
  double student_entropy = 0, student_kl_to_uniform = 0;
  double prototypes_for_90pct = 0;
  double cls_effective_rank = 0;
  double center_norm = 0;

  // Weighted accumulation over the micro-batches of a step.
  void add(const SslHealth& other, double weight);
};

// teacher_targets [N, K] (rows are distributions), student_logits [M, K], teacher_cls [N, D];
// `center` [1, K] or undefined. Collective: every rank calls it, once per forward.
SslHealth measure_health(const torch::Tensor& teacher_targets, const torch::Tensor& student_logits,
                         double student_temp, const torch::Tensor& teacher_cls,
                         const torch::Tensor& center, const AllReduceSum& all_reduce);

// RankMe of embeddings whose Gram matrix (Σ zᵢ zᵢᵀ, [D, D]) is given: σₖ = √λₖ(Gram).
double effective_rank_from_gram(const torch::Tensor& gram);

}  // namespace pathodino::ssl
