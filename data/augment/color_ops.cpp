#include "data/augment/color_ops.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "data/augment/kernel_clones.h"

namespace pathodino::data {
namespace {

float clamp01(float v) { return std::clamp(v, 0.0f, 1.0f); }

float grey(float r, float g, float b) { return 0.299f * r + 0.587f * g + 0.114f * b; }

// Each pixel's grey level (ITU-R 601 luma, torchvision's rgb_to_grayscale) handed to
// `apply(i, grey)`, in one pass and without a grey copy of the image.
template <class Apply>
void for_each_grey(FloatImage& image, Apply&& apply) {
  const float* r = image.plane(0);
  const float* g = image.plane(1);
  const float* b = image.plane(2);
  for (int64_t i = 0; i < image.plane_size(); ++i) apply(i, grey(r[i], g[i], b[i]));
}

// The mean grey level, summed in double over 8 interleaved partial sums: a single running sum is
// bound by the latency of one addition per pixel, these vectorise. The order of additions differs
// from a single sum's, so the mean may differ in its last bits of double precision.
double mean_grey(const FloatImage& image) {
  constexpr int kLanes = 8;
  double partial[kLanes] = {};
  const float* r = image.plane(0);
  const float* g = image.plane(1);
  const float* b = image.plane(2);
  const int64_t n = image.plane_size(), whole = n - n % kLanes;
  for (int64_t i = 0; i < whole; i += kLanes)
    for (int lane = 0; lane < kLanes; ++lane)
      partial[lane] += grey(r[i + lane], g[i + lane], b[i + lane]);
  for (int64_t i = whole; i < n; ++i) partial[i - whole] += grey(r[i], g[i], b[i]);
  double total = 0;
  for (double p : partial) total += p;
  return total / static_cast<double>(n);
}

}  // namespace

PATHODINO_KERNEL_CLONES void adjust_brightness(FloatImage& image, double factor) {
  for (auto& v : image.pixels) v = clamp01(static_cast<float>(v * factor));
}

PATHODINO_KERNEL_CLONES void adjust_contrast(FloatImage& image, double factor) {
  const double mean = mean_grey(image);
  for (auto& v : image.pixels) v = clamp01(static_cast<float>(factor * v + (1 - factor) * mean));
}

// A blend with the image's own grey version, computed per pixel (the arithmetic of a blend with a
// grey copy, without the copy).
PATHODINO_KERNEL_CLONES void adjust_saturation(FloatImage& image, double factor) {
  float* planes[3] = {image.plane(0), image.plane(1), image.plane(2)};
  for_each_grey(image, [&](int64_t i, float grey_level) {
    for (float* plane : planes)
      plane[i] = clamp01(static_cast<float>(factor * plane[i] + (1 - factor) * grey_level));
  });
}

namespace {

// HSV → RGB for one channel without a sector table: with k = (n + 6h) mod 6 (n = 5, 3, 1 for R, G,
// B), the channel is v − v·s·max(0, min(k, 4 − k, 1)) — the same value as the six-sector form
// (v, p, q or t), as a select-free expression.
float hsv_channel(float n, float sector, float v, float s) {
  float k = sector + n;
  k -= k >= 6.0f ? 6.0f : 0.0f;
  return v - v * s * std::max(0.0f, std::min(std::min(k, 4.0f - k), 1.0f));
}

}  // namespace

// Each pixel's hue rotated by `shift` turns through HSV (torchvision's _rgb2hsv / _hsv2rgb). The
// loop over a plane vectorises: every candidate is computed before a select picks one, and no
// store is conditional. A grey pixel (no chroma: hue undefined) has saturation 0, so every
// channel comes out as v = its value, unchanged, without a branch of its own.
PATHODINO_KERNEL_CLONES void adjust_hue(FloatImage& image, double shift) {
  const auto turn = static_cast<float>(shift);
  float* red = image.plane(0);
  float* green = image.plane(1);
  float* blue = image.plane(2);
  const int64_t n = image.plane_size();
  for (int64_t i = 0; i < n; ++i) {
    const float r = red[i], g = green[i], b = blue[i];
    const float max = std::max(r, std::max(g, b)), min = std::min(r, std::min(g, b));
    const float chroma = max - min;
    const bool grey = !(chroma > 0);
    const float divisor = grey ? 1.0f : chroma;
    const float g_b = g - b, b_r = b - r, r_g = r - g;
    const float numerator = max == r ? g_b : max == g ? b_r : r_g;
    const float offset = max == r ? 0.0f : max == g ? 2.0f : 4.0f;
    float h = (numerator / divisor + offset) / 6.0f + turn;  // turns
    h -= static_cast<float>(static_cast<int>(h));            // truncation: (-1, 1) ...
    h += h < 0 ? 1.0f : 0.0f;                                // ... to [0, 1)
    const float s = chroma / (grey ? 1.0f : max), sector = h * 6.0f;
    red[i] = hsv_channel(5.0f, sector, max, s);
    green[i] = hsv_channel(3.0f, sector, max, s);
    blue[i] = hsv_channel(1.0f, sector, max, s);
  }
}

void color_jitter(FloatImage& image, const ColorJitter& jitter, std::mt19937_64& rng) {
  std::array<int, 4> order{0, 1, 2, 3};
  std::shuffle(order.begin(), order.end(), rng);
  auto factor = [&rng](double amount) {
    return std::uniform_real_distribution<double>(std::max(0.0, 1 - amount), 1 + amount)(rng);
  };
  for (int op : order) switch (op) {
      case 0:
        if (jitter.brightness > 0) adjust_brightness(image, factor(jitter.brightness));
        break;
      case 1:
        if (jitter.contrast > 0) adjust_contrast(image, factor(jitter.contrast));
        break;
      case 2:
        if (jitter.saturation > 0) adjust_saturation(image, factor(jitter.saturation));
        break;
      default:
        if (jitter.hue > 0)
          adjust_hue(image, std::uniform_real_distribution<double>(-jitter.hue, jitter.hue)(rng));
    }
}

PATHODINO_KERNEL_CLONES void to_grayscale(FloatImage& image) {
  float* planes[3] = {image.plane(0), image.plane(1), image.plane(2)};
  for_each_grey(image, [&](int64_t i, float grey_level) {
    for (float* plane : planes) plane[i] = grey_level;
  });
}

PATHODINO_KERNEL_CLONES void solarize(FloatImage& image, float threshold) {
  for (auto& v : image.pixels)
    if (v >= threshold) v = 1.0f - v;
}

}  // namespace pathodino::data
