// Slide-to-slide staining differences for synthetic tissue: every image gets its own overall
// brightness, haematoxylin and eosin intensity, hue rotation and saturation, as tissue from
// different labs and scanners does. At strength 1 the ranges are brightness ×[0.75, 1.15],
// hue ±0.06 turns, saturation ×[0.6, 1.4], stain intensity ×[0.7, 1.3] — within what DINOv2's
// colour jitter spans, so invariance to them is learnable, and wide enough that mean colour no
// longer identifies a tissue class.
#pragma once

#include <cstdint>

#include "data/rgb_image.h"

namespace pathodino::data {

// Deterministic in `seed`; strength 0 leaves the image unchanged.
void apply_stain_variation(RgbImage& image, double strength, uint64_t seed);

}  // namespace pathodino::data
