// iBOT loss on masked patch tokens: for each masked patch, cross-entropy between the teacher's
// centred target and the student's tempered softmax; averaged over the masked patches of each
// image, then over all images that could have been masked (unmasked images count as 0), as in
// DINOv2's forward_masked.
#pragma once

#include <torch/types.h>

namespace pathodino::ssl {

// student_logits, teacher_targets: [M, K] for the M masked patches, in the order of
// `masks.nonzero()`; masks: bool [n_images, n_patches].
torch::Tensor ibot_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_targets,
                        const torch::Tensor& masks, double student_temp);

}  // namespace pathodino::ssl
