// KoLeo regulariser (Sablayrolles et al.): spreads the batch's L2-normalised features by
// penalising small nearest-neighbour distances,  L = −mean_i log(‖x_i − x_nn(i)‖ + ε).
// Safe where DINOv2's is not (dinov2#314): a batch of one has no neighbour and gives 0; duplicate
// samples give a large but finite loss and finite gradients.
#pragma once

#include <torch/types.h>

namespace pathodino::ssl {

torch::Tensor koleo_loss(const torch::Tensor& features, double eps = 1e-8);  // features: [B, D]

}  // namespace pathodino::ssl
