// FloatImage: the working format of augmentation — planar RGB (CHW) floats in [0, 1], the layout
// a model batch has, so a finished crop is normalised straight into the batch buffer.
#pragma once

#include <cstdint>
#include <vector>

namespace pathodino::data {

struct FloatImage {
  int64_t height = 0, width = 0;
  std::vector<float> pixels;  // [3, height, width]

  FloatImage() = default;
  FloatImage(int64_t h, int64_t w) : height(h), width(w), pixels(3 * h * w) {}
  int64_t plane_size() const { return height * width; }
  float* plane(int c) { return pixels.data() + c * plane_size(); }
  const float* plane(int c) const { return pixels.data() + c * plane_size(); }
};

// Floats a kernel grows and reuses for its intermediate passes: one thread passes the same
// Scratch from crop to crop, so once it has reached the largest crop's size nothing is allocated.
using Scratch = std::vector<float>;

// `scratch` holding at least n floats (grown, never shrunk), as a pointer to them.
inline float* scratch_floats(Scratch& scratch, int64_t n) {
  if (static_cast<int64_t>(scratch.size()) < n) scratch.resize(n);
  return scratch.data();
}

}  // namespace pathodino::data
