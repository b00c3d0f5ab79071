// DINO loss on CLS tokens: cross-entropy between the teacher's centred targets and the student's
// tempered softmax, averaged over every (student crop, teacher crop) pair except a global crop
// with itself:
//   L = mean over pairs (s, t), s ≠ t, of  mean_b  −Σ_k T_t[b,k] · log softmax(S_s[b] / τ_s)_k
// Student crops are ordered globals first, so student crop i < n_global is the teacher's crop i.
#pragma once

#include <torch/types.h>

namespace pathodino::ssl {

// student_logits: [n_crops, B, K]; teacher_targets: [n_global, B, K] (rows are distributions).
torch::Tensor dino_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_targets,
                        double student_temp);

}  // namespace pathodino::ssl
