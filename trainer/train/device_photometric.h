// The photometric half of the multi-crop recipe batched on the training device: HED stain jitter,
// colour jitter, greyscale, blur, solarize and normalisation as tensor operations over all crops
// of one size at once, each crop with its own plan (Note [Crop plans]). Every operation runs on
// the crops whose plan asks for it, in each crop's own order, with the per-image path's formulas
// (data/augment), in single precision; the tensors' device decides where it runs (CUDA when the
// run trains there, the CPU in the tests).
#pragma once

#include <torch/torch.h>

#include <span>

#include "data/augment/crop_plan.h"
#include "data/augment/normalise.h"

namespace pathodino::train {

// pixels: [N, 3, H, W] uint8 (0..255, after the geometry), plans: one per crop → normalised
// float [N, 3, H, W] on the pixels' device.
torch::Tensor device_photometric(const torch::Tensor& pixels,
                                 std::span<const data::PhotometricPlan> plans,
                                 const data::ChannelStats& normalisation);

}  // namespace pathodino::train
