#include "data/augment/resized_crop.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pathodino::data {
namespace {

// Source coordinates and weights of output pixel `o` along one axis: a box filter of the scale
// when shrinking (area average), a 2-tap linear filter when enlarging.
struct Taps {
  std::vector<int64_t> first;  // per output pixel: first source index
  std::vector<std::vector<float>> weights;
};

Taps axis_taps(int64_t src_offset, int64_t src_len, int64_t out_len, int64_t src_limit) {
  Taps taps;
  const double scale = static_cast<double>(src_len) / static_cast<double>(out_len);
  const double support = std::max(1.0, scale);  // filter half-width in source pixels
  for (int64_t o = 0; o < out_len; ++o) {
    const double centre = src_offset + (o + 0.5) * scale;
    const auto lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(centre - support)));
    const auto hi =
        std::min<int64_t>(src_limit - 1, static_cast<int64_t>(std::ceil(centre + support)));
    std::vector<float> w;
    double total = 0;
    for (int64_t s = lo; s <= hi; ++s) {
      const double d = std::abs((s + 0.5 - centre) / support);
      const double weight = std::max(0.0, 1.0 - d);  // triangle filter
      w.push_back(static_cast<float>(weight));
      total += weight;
    }
    for (auto& x : w) x = static_cast<float>(x / total);
    taps.first.push_back(lo);
    taps.weights.push_back(std::move(w));
  }
  return taps;
}

}  // namespace

CropBox random_resized_crop_box(int64_t image_h, int64_t image_w, double min_scale,
                                double max_scale, std::mt19937_64& rng) {
  const double area = static_cast<double>(image_h * image_w);
  std::uniform_real_distribution<double> scale(min_scale, max_scale);
  std::uniform_real_distribution<double> log_ratio(std::log(3.0 / 4.0), std::log(4.0 / 3.0));
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * scale(rng), ratio = std::exp(log_ratio(rng));
    const auto w = static_cast<int64_t>(std::lround(std::sqrt(target * ratio)));
    const auto h = static_cast<int64_t>(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && h > 0 && w <= image_w && h <= image_h) {
      const auto top = std::uniform_int_distribution<int64_t>(0, image_h - h)(rng);
      const auto left = std::uniform_int_distribution<int64_t>(0, image_w - w)(rng);
      return {top, left, h, w};
    }
  }
  const int64_t side = std::min(image_h, image_w);  // torchvision's fallback: centre crop
  return {(image_h - side) / 2, (image_w - side) / 2, side, side};
}

namespace {

// The horizontal pass: image rows [row_lo, row_hi) resampled to out_size columns, as
// [rows, out_size, 3] floats in 0..255.
std::vector<float> resize_rows(const RgbImage& image, const Taps& cols, int64_t row_lo,
                               int64_t row_hi, int64_t out_size) {
  std::vector<float> horizontal((row_hi - row_lo) * out_size * 3);
  for (int64_t y = row_lo; y < row_hi; ++y) {
    const uint8_t* src = &image.pixels[y * image.width * 3];
    float* dst = &horizontal[(y - row_lo) * out_size * 3];
    for (int64_t x = 0; x < out_size; ++x) {
      float acc[3] = {0, 0, 0};
      const auto& w = cols.weights[x];
      for (size_t k = 0; k < w.size(); ++k) {
        const uint8_t* p = src + (cols.first[x] + static_cast<int64_t>(k)) * 3;
        for (int c = 0; c < 3; ++c) acc[c] += w[k] * p[c];
      }
      for (int c = 0; c < 3; ++c) dst[x * 3 + c] = acc[c];
    }
  }
  return horizontal;
}

// The vertical pass a whole row at a time (contiguous, vectorises; per pixel the taps are summed
// in the same order as a pixel-by-pixel loop), into planes scaled to 0..1.
FloatImage resize_columns(const std::vector<float>& horizontal, const Taps& rows, int64_t row_lo,
                          int64_t out_size) {
  FloatImage out(out_size, out_size);
  std::vector<float> acc(out_size * 3);
  for (int64_t y = 0; y < out_size; ++y) {
    const auto& w = rows.weights[y];
    std::fill(acc.begin(), acc.end(), 0.0f);
    for (size_t k = 0; k < w.size(); ++k) {
      const float weight = w[k];
      const float* p =
          &horizontal[(rows.first[y] + static_cast<int64_t>(k) - row_lo) * out_size * 3];
      for (int64_t i = 0; i < out_size * 3; ++i) acc[i] += weight * p[i];
    }
    for (int c = 0; c < 3; ++c) {
      float* plane = out.plane(c) + y * out_size;
      for (int64_t x = 0; x < out_size; ++x) plane[x] = acc[x * 3 + c] / 255.0f;
    }
  }
  return out;
}

}  // namespace

FloatImage crop_and_resize(const RgbImage& image, const CropBox& box, int64_t out_size) {
  if (box.height <= 0 || box.width <= 0 || box.top < 0 || box.left < 0 ||
      box.top + box.height > image.height || box.left + box.width > image.width)
    throw std::invalid_argument("crop_and_resize: crop box outside the image");
  const Taps rows = axis_taps(box.top, box.height, out_size, image.height);
  const Taps cols = axis_taps(box.left, box.width, out_size, image.width);
  // Horizontal pass into [rows of the box span, out_size, 3], then vertical into the output.
  const int64_t row_lo = rows.first.front();
  const int64_t row_hi = rows.first.back() + static_cast<int64_t>(rows.weights.back().size());
  return resize_columns(resize_rows(image, cols, row_lo, row_hi, out_size), rows, row_lo, out_size);
}

void flip_horizontal(FloatImage& image) {
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < image.height; ++y) {
      float* row = image.plane(c) + y * image.width;
      std::reverse(row, row + image.width);
    }
}

void flip_vertical(FloatImage& image) {
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < image.height / 2; ++y)
      std::swap_ranges(image.plane(c) + y * image.width, image.plane(c) + (y + 1) * image.width,
                       image.plane(c) + (image.height - 1 - y) * image.width);
}

void rotate_quarter_turns(FloatImage& image, int turns) {
  turns = ((turns % 4) + 4) % 4;
  if (turns == 0) return;
  if (image.height != image.width)
    throw std::invalid_argument("rotate_quarter_turns: the image is not square");
  const int64_t n = image.width;
  FloatImage out(n, n);
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < n; ++y)
      for (int64_t x = 0; x < n; ++x) {
        int64_t sy = y, sx = x;  // output (y, x) reads source (sy, sx)
        for (int t = 0; t < turns; ++t) {
          const int64_t ny = sx, nx = n - 1 - sy;  // one counter-clockwise turn, inverted
          sy = ny;
          sx = nx;
        }
        out.plane(c)[y * n + x] = image.plane(c)[sy * n + sx];
      }
  image = std::move(out);
}

}  // namespace pathodino::data
