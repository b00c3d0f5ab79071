// Gradient clipping DINOv2's way: each student module (backbone, DINO head, iBOT head) is clipped
// to `max_norm` on its own, not the whole model at once. Returns the global L2 norm of all
// gradients before clipping (what the log reports; non-finite when any gradient is).
#pragma once

#include <vector>

#include <torch/types.h>

namespace pathodino::optim {

double clip_grad_norms(const std::vector<std::vector<torch::Tensor>>& modules, double max_norm);

}  // namespace pathodino::optim
