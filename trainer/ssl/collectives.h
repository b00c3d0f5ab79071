// The one cross-rank operation the SSL objective needs: an in-place sum over ranks. Centering and
// Sinkhorn-Knopp call it on their partial sums, so their results are global, as in DINOv2. A
// single process uses the identity; the distributed trainer plugs in its communicator.
#pragma once

#include <functional>

#include <torch/types.h>

namespace pathodino::ssl {

using AllReduceSum = std::function<void(torch::Tensor&)>;

inline AllReduceSum single_process() {
  return [](torch::Tensor&) {};
}

}  // namespace pathodino::ssl
