#include "data/augment/color_ops.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "data/augment/kernel_clones.h"

namespace pathodino::data {
namespace {

// A run of pixels of an image's three planes: pixel indices [first, first + n).
struct PixelRun {
  float* r;
  float* g;
  float* b;
  int64_t first, n;
};

PixelRun whole(FloatImage& image) {
  return {image.plane(0), image.plane(1), image.plane(2), 0, image.plane_size()};
}

PixelRun part(const PixelRun& run, int64_t from, int64_t n) {
  return {run.r + from, run.g + from, run.b + from, run.first + from, n};
}

float clamp01(float v) { return std::clamp(v, 0.0f, 1.0f); }

// ITU-R 601 luma, torchvision's rgb_to_grayscale.
float grey(float r, float g, float b) { return 0.299f * r + 0.587f * g + 0.114f * b; }

// Note [Grey lanes]: the mean grey level is summed in double over 8 partial sums, pixel i into
// lane i mod 8 in increasing i: a single running sum is bound by the latency of one addition per
// pixel, these vectorise. Because a pixel's lane follows from its index alone, summing the image
// run by run gives the same partial sums as one pass. The mean can differ from a single running
// sum's in its last bits of double precision.
constexpr int kGreyLanes = 8;
using GreyLanes = std::array<double, kGreyLanes>;

void add_grey(const PixelRun& run, GreyLanes& lanes) {
  int64_t i = 0;
  for (; i < run.n && (run.first + i) % kGreyLanes != 0; ++i)
    lanes[(run.first + i) % kGreyLanes] += grey(run.r[i], run.g[i], run.b[i]);
  for (; i + kGreyLanes <= run.n; i += kGreyLanes)
    for (int lane = 0; lane < kGreyLanes; ++lane)
      lanes[lane] += grey(run.r[i + lane], run.g[i + lane], run.b[i + lane]);
  for (; i < run.n; ++i) lanes[(run.first + i) % kGreyLanes] += grey(run.r[i], run.g[i], run.b[i]);
}

double mean_of(const GreyLanes& lanes, int64_t pixels) {
  double total = 0;
  for (double lane : lanes) total += lane;
  return total / static_cast<double>(pixels);
}

void brightness(const PixelRun& run, double factor) {
  for (float* plane : {run.r, run.g, run.b})
    for (int64_t i = 0; i < run.n; ++i) plane[i] = clamp01(static_cast<float>(plane[i] * factor));
}

void contrast(const PixelRun& run, double factor, double mean) {
  for (float* plane : {run.r, run.g, run.b})
    for (int64_t i = 0; i < run.n; ++i)
      plane[i] = clamp01(static_cast<float>(factor * plane[i] + (1 - factor) * mean));
}

// A blend with the image's own grey version, computed per pixel (the arithmetic of a blend with a
// grey copy, without the copy).
void saturation(const PixelRun& run, double factor) {
  for (int64_t i = 0; i < run.n; ++i) {
    const float grey_level = grey(run.r[i], run.g[i], run.b[i]);
    for (float* plane : {run.r, run.g, run.b})
      plane[i] = clamp01(static_cast<float>(factor * plane[i] + (1 - factor) * grey_level));
  }
}

// HSV → RGB for one channel without a sector table: with k = (n + 6h) mod 6 (n = 5, 3, 1 for R, G,
// B), the channel is v − v·s·max(0, min(k, 4 − k, 1)) — the same value as the six-sector form
// (v, p, q or t), as a select-free expression.
float hsv_channel(float n, float sector, float v, float s) {
  float k = sector + n;
  k -= k >= 6.0f ? 6.0f : 0.0f;
  return v - v * s * std::max(0.0f, std::min(std::min(k, 4.0f - k), 1.0f));
}

// Each pixel's hue rotated by `turn` turns through HSV (torchvision's _rgb2hsv / _hsv2rgb). The
// loop vectorises: every candidate is computed before a select picks one, and no store is
// conditional. A grey pixel (no chroma: hue undefined) has saturation 0, so every channel comes
// out as v = its value, unchanged, without a branch of its own.
void hue(const PixelRun& run, float turn) {
  for (int64_t i = 0; i < run.n; ++i) {
    const float r = run.r[i], g = run.g[i], b = run.b[i];
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
    run.r[i] = hsv_channel(5.0f, sector, max, s);
    run.g[i] = hsv_channel(3.0f, sector, max, s);
    run.b[i] = hsv_channel(1.0f, sector, max, s);
  }
}

}  // namespace

PATHODINO_KERNEL_CLONES void adjust_brightness(FloatImage& image, double factor) {
  brightness(whole(image), factor);
}

PATHODINO_KERNEL_CLONES void adjust_contrast(FloatImage& image, double factor) {
  GreyLanes lanes{};
  add_grey(whole(image), lanes);
  contrast(whole(image), factor, mean_of(lanes, image.plane_size()));
}

PATHODINO_KERNEL_CLONES void adjust_saturation(FloatImage& image, double factor) {
  saturation(whole(image), factor);
}

PATHODINO_KERNEL_CLONES void adjust_hue(FloatImage& image, double shift) {
  hue(whole(image), static_cast<float>(shift));
}

PATHODINO_KERNEL_CLONES void to_grayscale(FloatImage& image) {
  const PixelRun run = whole(image);
  for (int64_t i = 0; i < run.n; ++i)
    run.r[i] = run.g[i] = run.b[i] = grey(run.r[i], run.g[i], run.b[i]);
}

PATHODINO_KERNEL_CLONES void solarize(FloatImage& image, float threshold) {
  for (auto& v : image.pixels)
    if (v >= threshold) v = 1.0f - v;
}

namespace {

void apply(const JitterStep& step, const PixelRun& run, double mean) {
  switch (step.op) {
    case JitterOp::brightness:
      brightness(run, step.amount);
      break;
    case JitterOp::contrast:
      contrast(run, step.amount, mean);
      break;
    case JitterOp::saturation:
      saturation(run, step.amount);
      break;
    case JitterOp::hue:
      hue(run, static_cast<float>(step.amount));
  }
}

}  // namespace

// Torchvision's order: a random permutation of the four; a factor is drawn, in that order, only
// for the operations that are on.
std::vector<JitterStep> draw_jitter(const ColorJitter& jitter, std::mt19937_64& rng) {
  std::array<JitterOp, 4> order{JitterOp::brightness, JitterOp::contrast, JitterOp::saturation,
                                JitterOp::hue};
  std::shuffle(order.begin(), order.end(), rng);
  auto factor = [&rng](double amount) {
    return std::uniform_real_distribution<double>(std::max(0.0, 1 - amount), 1 + amount)(rng);
  };
  std::vector<JitterStep> steps;
  for (JitterOp op : order) {
    if (op == JitterOp::brightness && jitter.brightness > 0)
      steps.push_back({op, factor(jitter.brightness)});
    if (op == JitterOp::contrast && jitter.contrast > 0)
      steps.push_back({op, factor(jitter.contrast)});
    if (op == JitterOp::saturation && jitter.saturation > 0)
      steps.push_back({op, factor(jitter.saturation)});
    if (op == JitterOp::hue && jitter.hue > 0)
      steps.push_back({op, std::uniform_real_distribution<double>(-jitter.hue, jitter.hue)(rng)});
  }
  return steps;
}

// The steps fused: every step runs on a run of pixels small enough to stay in the L1 cache before
// the next run is touched, so the image is read and written once (twice with contrast, whose mean
// grey level needs every pixel after the steps before it: Note [Grey lanes]). Each pixel goes
// through the same arithmetic as with one pass per step.
PATHODINO_KERNEL_CLONES void apply_jitter(FloatImage& image, const std::vector<JitterStep>& steps) {
  constexpr int64_t kRun = 512;  // pixels: 6 KiB of floats
  const PixelRun all = whole(image);
  const auto at_contrast = static_cast<size_t>(
      std::find_if(steps.begin(), steps.end(),
                   [](const JitterStep& s) { return s.op == JitterOp::contrast; }) -
      steps.begin());
  GreyLanes lanes{};
  for (int64_t from = 0; from < all.n; from += kRun) {
    const PixelRun run = part(all, from, std::min(kRun, all.n - from));
    for (size_t s = 0; s < at_contrast; ++s) apply(steps[s], run, 0);
    if (at_contrast < steps.size()) add_grey(run, lanes);
  }
  if (at_contrast == steps.size()) return;
  const double mean = mean_of(lanes, all.n);
  for (int64_t from = 0; from < all.n; from += kRun) {
    const PixelRun run = part(all, from, std::min(kRun, all.n - from));
    for (size_t s = at_contrast; s < steps.size(); ++s) apply(steps[s], run, mean);
  }
}

void color_jitter(FloatImage& image, const ColorJitter& jitter, std::mt19937_64& rng) {
  apply_jitter(image, draw_jitter(jitter, rng));
}

}  // namespace pathodino::data
