// RgbImage: an 8-bit RGB image, row-major, 3 bytes per pixel — what every image source yields
// (OpenSlide regions, synthetic renders) before augmentation turns it into floats.
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::data {

struct RgbImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

}  // namespace pathodino::data
