// Tissue detection on a low-resolution image of the slide, the usual pathology recipe (CLAM,
// UNI's preprocessing): HSV saturation → median blur (removes speckle and thin pen strokes) →
// Otsu threshold, never below a floor (a slide that is nearly all background would otherwise put
// the threshold inside the glass noise) → morphological close (fills small holes in tissue).
// No LibTorch, no OpenCV: a few loops over bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "data/rgb_image.h"

namespace pathodino::data {

struct TissueMaskOptions {
  int median_radius = 3;      // (2r+1)² median of the saturation
  int saturation_floor = 20;  // 0–255: the threshold is at least this
  int close_radius = 2;       // (2r+1)² square structuring element
};

struct TissueMask {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> tissue;  // 1 = tissue, row-major
  int threshold = 0;            // the saturation threshold used
  double tissue_share() const;
};

// Saturation (HSV's S, 0–255) of every pixel.
std::vector<uint8_t> saturation(const RgbImage& image);
// Otsu's threshold of a 0–255 histogram: the level maximising the between-class variance.
int otsu_threshold(const std::vector<uint8_t>& values);

TissueMask detect_tissue(const RgbImage& low_resolution, const TissueMaskOptions& options = {});

}  // namespace pathodino::data
