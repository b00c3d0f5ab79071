#include "models/vit/position_grid.h"

#include <torch/nn/functional/upsampling.h>

#include <cmath>

namespace pathodino::models {

torch::Tensor resample_patch_positions(const torch::Tensor& patch_positions, int64_t grid_h,
                                       int64_t grid_w, double offset) {
  const int64_t dim = patch_positions.size(2);
  const auto stored =
      static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(patch_positions.size(1)))));
  TORCH_CHECK(stored * stored == patch_positions.size(1), "position grid of ",
              patch_positions.size(1), " patches is not square");
  const auto grid =
      patch_positions.to(torch::kFloat32).reshape({1, stored, stored, dim}).permute({0, 3, 1, 2});
  auto options =
      torch::nn::functional::InterpolateFuncOptions().mode(torch::kBicubic).align_corners(false);
  if (offset > 0) {  // Note [Interpolation offset]
    const auto g = static_cast<double>(stored);
    options
        .scale_factor(std::vector<double>{(static_cast<double>(grid_h) + offset) / g,
                                          (static_cast<double>(grid_w) + offset) / g})
        .recompute_scale_factor(false);  // the factors themselves map coordinates, as in DINOv2
  } else {
    options.size(std::vector<int64_t>{grid_h, grid_w});
  }
  const auto resampled = torch::nn::functional::interpolate(grid, options);
  TORCH_CHECK(resampled.size(2) == grid_h && resampled.size(3) == grid_w, "interpolation offset ",
              offset, " gives a ", resampled.size(2), "x", resampled.size(3), " grid instead of ",
              grid_h, "x", grid_w);
  return resampled.permute({0, 2, 3, 1})
      .reshape({1, grid_h * grid_w, dim})
      .to(patch_positions.scalar_type());
}

}  // namespace pathodino::models
