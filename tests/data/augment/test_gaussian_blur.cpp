// The Gaussian blur: what it does to edges and constants, and its values against the direct
// two-pass loop (a reflected index per tap, no padded rows, no unrolling) bit for bit, at every
// instruction-set clone the CPU picks (Note [Kernel clones]).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "data/augment/gaussian_blur.h"

namespace pathodino::data {
namespace {

int64_t reflected(int64_t i, int64_t n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// torchvision's blur written out: horizontal then vertical, taps summed in order from 0.
void reference_blur(FloatImage& image, double sigma, int kernel_size) {
  const int half = kernel_size / 2;
  std::vector<float> kernel(kernel_size);
  double total = 0;
  for (int i = 0; i < kernel_size; ++i) {
    kernel[i] = static_cast<float>(std::exp(-(i - half) * (i - half) / (2 * sigma * sigma)));
    total += kernel[i];
  }
  for (auto& k : kernel) k = static_cast<float>(k / total);
  const int64_t h = image.height, w = image.width;
  std::vector<float> across(h * w);
  for (int c = 0; c < 3; ++c) {
    float* plane = image.plane(c);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        float acc = 0;
        for (int k = 0; k < kernel_size; ++k)
          acc += kernel[k] * plane[y * w + reflected(x + k - half, w)];
        across[y * w + x] = acc;
      }
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        float acc = 0;
        for (int k = 0; k < kernel_size; ++k)
          acc += kernel[k] * across[reflected(y + k - half, h) * w + x];
        plane[y * w + x] = acc;
      }
  }
}

TEST(GaussianBlur, KeepsConstantsAndSmoothsEdges) {
  FloatImage edge(16, 16);
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < 16; ++y)
      for (int64_t x = 0; x < 16; ++x) edge.plane(c)[y * 16 + x] = x < 8 ? 0.0f : 1.0f;
  gaussian_blur(edge, 1.5);
  EXPECT_NEAR(edge.plane(0)[0], 0.0, 1e-4);  // far from the edge: unchanged (reflect padding)
  EXPECT_NEAR(edge.plane(0)[15], 1.0, 1e-4);
  EXPECT_GT(edge.plane(0)[8 * 16 + 7], 0.2);  // next to the edge: mixed
  EXPECT_LT(edge.plane(0)[8 * 16 + 8], 0.8);
  FloatImage flat(5, 7);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 0.3f);
  gaussian_blur(flat, 2.0);
  for (float v : flat.pixels) ASSERT_NEAR(v, 0.3, 1e-5);
}

// Sizes from one pixel (every tap reflected) to a global crop's, odd widths that leave a vector
// tail, DINOv2's 9 taps and other kernel sizes, sigmas across the recipe's range.
TEST(GaussianBlur, EqualsTheDirectLoopBitForBit) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> unit(0, 1);
  const int sizes[][2] = {{1, 1}, {3, 2}, {4, 9}, {17, 33}, {96, 96}, {224, 224}, {61, 130}};
  int compared = 0;
  for (const auto& [h, w] : sizes)
    for (int taps : {9, 5, 3})
      for (double sigma : {0.1, 0.73, 2.0}) {
        FloatImage image(h, w);
        for (auto& v : image.pixels) v = unit(rng);
        FloatImage theirs = image;
        gaussian_blur(image, sigma, taps);
        reference_blur(theirs, sigma, taps);
        ASSERT_EQ(image.pixels, theirs.pixels)
            << h << "x" << w << " taps " << taps << " sigma " << sigma;
        ++compared;
      }
  EXPECT_EQ(compared, 7 * 3 * 3);
}

}  // namespace
}  // namespace pathodino::data
