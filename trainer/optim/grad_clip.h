// Gradient clipping DINOv2's way: each student module (backbone, DINO head, iBOT head) is clipped
// to `max_norm` on its own, not the whole model at once. A module's norm is accumulated in float64
// from float32 squares, so it is the same value — to float64 rounding — whether its gradients are
// summed whole on one rank or in ZeRO-1 pieces over many (distributed/optimizer_shards.h): both
// paths then scale by the same float32 coefficient and train alike.
#pragma once

#include <vector>

#include <torch/types.h>

namespace pathodino::optim {

// Plain data parallel (or one process): clips the .grad of every module's tensors and returns
// the global L2 norm of all gradients before clipping (non-finite when any gradient is).
double clip_grad_norms(const std::vector<std::vector<torch::Tensor>>& modules, double max_norm);

// The two halves, for callers whose gradients are spread over ranks:
// per module, Σ g² over `grads[module]` in float64 on the gradients' device ...
torch::Tensor squared_norms(const std::vector<std::vector<torch::Tensor>>& grads);
// ... and, given those squares summed over every holder (any device), each module's gradients
// scaled by max_norm / (norm + 1e-6) when that is below 1 (max_norm ≤ 0: never). Returns the
// global norm.
double clip_to_norms(const torch::Tensor& squared,
                     const std::vector<std::vector<torch::Tensor>>& grads, double max_norm);

}  // namespace pathodino::optim
