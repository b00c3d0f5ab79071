// Geometric augmentation: torchvision's RandomResizedCrop (area share from `scale`, aspect ratio
// log-uniform in [3/4, 4/3], ten tries, then a centre crop), resampled bilinearly — averaging
// over the source footprint when shrinking, so small crops of large tiles do not alias — plus
// flips and quarter turns.
#pragma once

#include <cstdint>
#include <random>

#include "data/augment/float_image.h"
#include "data/rgb_image.h"

namespace pathodino::data {

struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
};

CropBox random_resized_crop_box(int64_t image_h, int64_t image_w, double min_scale,
                                double max_scale, std::mt19937_64& rng);

// The `box` of `image`, resampled to out_size × out_size, as floats in [0, 1]; `mirrored` flips
// it left to right in the same pass (the same values as flip_horizontal afterwards).
FloatImage crop_and_resize(const RgbImage& image, const CropBox& box, int64_t out_size,
                           bool mirrored = false);
// The same into `out` (reshaped to out_size², every value written), with the passes' memory from
// `scratch`.
void crop_and_resize(const RgbImage& image, const CropBox& box, int64_t out_size, bool mirrored,
                     FloatImage& out, Scratch& scratch);

void flip_horizontal(FloatImage& image);
void flip_vertical(FloatImage& image);
void rotate_quarter_turns(FloatImage& image, int turns);  // counter-clockwise; square images

}  // namespace pathodino::data
