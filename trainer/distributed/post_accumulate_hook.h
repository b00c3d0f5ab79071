// The one place that touches LibTorch's internal autograd API: a callback that runs right after a
// leaf tensor's gradient has been accumulated into .grad during backward (what Python exposes as
// Tensor.register_post_accumulate_grad_hook). Internal in C++, and its signature has changed
// between releases, hence this adapter.
#pragma once

#include <functional>

#include <torch/types.h>

namespace pathodino::distributed {

// Replaces any previous post-accumulate hook of `parameter` (a leaf that requires grad).
void set_post_accumulate_hook(const torch::Tensor& parameter, std::function<void()> callback);
void clear_post_accumulate_hook(const torch::Tensor& parameter);

}  // namespace pathodino::distributed
