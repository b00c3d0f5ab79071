// CropPlan: every random decision of one crop, drawn before any pixel is touched.
// Note [Crop plans]: MultiCropAugment::plan draws a crop's decisions from its stream in the order
// the recipe applies them (box, flip, the pathology preset's vertical flip and quarter turns, HED
// α and β, colour jitter, greyscale, blur σ, solarize), and applying them draws nothing. So the
// per-image path (geometry and photometry on the CPU) and the device path (geometry on the CPU,
// photometry batched on the training device) use the same decisions for the same crop, and a
// crop's decisions depend only on its seed: resume and any rank count see the same ones.
#pragma once

#include <array>
#include <vector>

#include "data/augment/color_ops.h"
#include "data/augment/float_image.h"
#include "data/augment/resized_crop.h"

namespace pathodino::data {

// The photometric half, in the order it is applied.
struct PhotometricPlan {
  bool hed = false;  // HED stain jitter with these α, β per stain
  std::array<double, 3> hed_alpha{1, 1, 1}, hed_beta{0, 0, 0};
  std::vector<JitterStep> jitter;  // empty: no colour jitter
  bool grayscale = false;
  double blur_sigma = 0;  // 0: no blur
  bool solarize = false;
  bool operator==(const PhotometricPlan&) const = default;
};

struct CropPlan {
  CropBox box;
  bool flip = false;           // left-right, inside the resample
  bool flip_vertical = false;  // pathology preset
  int quarter_turns = 0;       // pathology preset, counter-clockwise
  PhotometricPlan photometric;
};

// The photometric half applied to a crop (blur's passes take their memory from `scratch`).
void apply_photometric(FloatImage& image, const PhotometricPlan& plan, Scratch& scratch);

}  // namespace pathodino::data
