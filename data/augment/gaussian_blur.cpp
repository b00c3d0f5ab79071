#include "data/augment/gaussian_blur.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "data/augment/kernel_clones.h"

namespace pathodino::data {

std::vector<float> gaussian_kernel(double sigma, int kernel_size) {
  const int half = kernel_size / 2;
  std::vector<float> kernel(kernel_size);
  double total = 0;
  for (int i = 0; i < kernel_size; ++i) {
    const double x = i - half;
    kernel[i] = static_cast<float>(std::exp(-x * x / (2 * sigma * sigma)));
    total += kernel[i];
  }
  for (auto& k : kernel) k = static_cast<float>(k / total);
  return kernel;
}

namespace {

// Index i of a row or column of n, reflected at the borders (without repeating the edge).
int64_t reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

// Every output value sums its taps in tap order from 0, the order of a direct loop. The sum of
// one output value stays in a register: the loop runs over outputs, the taps unrolled inside it
// when their count is a constant (kTaps > 0; 0 means `taps` at run time).
template <int kTaps>
void filter_row(const float* __restrict in, const float* __restrict kernel, int taps, int64_t n,
                float* __restrict out) {
  if constexpr (kTaps > 0) taps = kTaps;
  for (int64_t x = 0; x < n; ++x) {
    float acc = 0;
    for (int k = 0; k < taps; ++k) acc += kernel[k] * in[x + k];
    out[x] = acc;
  }
}

template <int kTaps>
void filter_rows(const float* const* __restrict rows, const float* __restrict kernel, int taps,
                 int64_t n, float* __restrict out) {
  if constexpr (kTaps > 0) taps = kTaps;
  for (int64_t x = 0; x < n; ++x) {
    float acc = 0;
    for (int k = 0; k < taps; ++k) acc += kernel[k] * rows[k][x];
    out[x] = acc;
  }
}

// One plane: the horizontal pass row by row through a reflected copy of the row into `across`,
// then the vertical pass, each output row from the reflected rows of `across` above and below it.
template <int kTaps>
void blur_plane(float* plane, int64_t h, int64_t w, const std::vector<float>& kernel,
                const std::vector<int64_t>& source_row, float* across, float* padded) {
  const int taps = static_cast<int>(kernel.size()), half = taps / 2;
  for (int64_t y = 0; y < h; ++y) {
    const float* row = plane + y * w;
    for (int64_t i = 0; i < half; ++i) {
      padded[i] = row[reflect(i - half, w)];
      padded[half + w + i] = row[reflect(w + i, w)];
    }
    std::copy(row, row + w, padded + half);
    filter_row<kTaps>(padded, kernel.data(), taps, w, across + y * w);
  }
  std::vector<const float*> rows(taps);
  for (int64_t y = 0; y < h; ++y) {
    for (int k = 0; k < taps; ++k) rows[k] = across + source_row[y + k] * w;
    filter_rows<kTaps>(rows.data(), kernel.data(), taps, w, plane + y * w);
  }
}

template <int kTaps>
PATHODINO_KERNEL_CLONES void blur_planes(FloatImage& image, const std::vector<float>& kernel,
                                         Scratch& scratch) {
  const int64_t h = image.height, w = image.width, half = static_cast<int64_t>(kernel.size()) / 2;
  std::vector<int64_t> source_row(h + 2 * half);
  for (int64_t i = 0; i < h + 2 * half; ++i) source_row[i] = reflect(i - half, h);
  // Every scratch value is written before it is read.
  float* across = scratch_floats(scratch, h * w + w + 2 * half);
  for (int c = 0; c < 3; ++c)
    blur_plane<kTaps>(image.plane(c), h, w, kernel, source_row, across, across + h * w);
}

}  // namespace

void gaussian_blur(FloatImage& image, double sigma, Scratch& scratch, int kernel_size) {
  const std::vector<float> kernel = gaussian_kernel(sigma, kernel_size);
  if (kernel_size == 9)  // torchvision's and DINOv2's size: its taps unrolled
    blur_planes<9>(image, kernel, scratch);
  else
    blur_planes<0>(image, kernel, scratch);
}

void gaussian_blur(FloatImage& image, double sigma, int kernel_size) {
  Scratch scratch;
  gaussian_blur(image, sigma, scratch, kernel_size);
}

}  // namespace pathodino::data
