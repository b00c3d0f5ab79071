#include "data/augment/resized_crop.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "data/augment/kernel_clones.h"

namespace pathodino::data {
namespace {

// Note [Resampling taps]: output pixel o of an axis sums `taps` source pixels from first[o] on,
// with weights[o * taps + k]: a box filter of the scale when shrinking (area average), a 2-tap
// linear filter when enlarging. Weights that are zero are trimmed, and every output pads its
// list to the widest one with zero weights (after its taps, or before them at the far border).
// A zero tap adds +0 to a sum of non-negative terms, so each output's value is that of its own
// list summed in order; the fixed width lets the passes unroll their taps.
struct AxisTaps {
  int64_t taps = 0;
  std::vector<int64_t> first;
  std::vector<float> weights;
};

// The triangle weights of output `o`, normalised, into w[0..] (room for `room`), and the source
// range they cover with zero weights trimmed off both ends: returns {first, count} within w.
std::pair<int64_t, int64_t> output_taps(int64_t o, int64_t src_offset, double scale,
                                        int64_t src_limit, float* w, int64_t room,
                                        int64_t* lo_out) {
  const double support = std::max(1.0, scale);  // filter half-width in source pixels
  const double centre = src_offset + (o + 0.5) * scale;
  const auto lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(centre - support)));
  const auto hi = std::min<int64_t>(
      {src_limit - 1, lo + room - 1, static_cast<int64_t>(std::ceil(centre + support))});
  double total = 0;
  for (int64_t s = lo; s <= hi; ++s) {
    const double d = std::abs((s + 0.5 - centre) / support);
    const double weight = std::max(0.0, 1.0 - d);  // triangle filter
    w[s - lo] = static_cast<float>(weight);
    total += weight;
  }
  int64_t begin = 0, end = hi - lo + 1;
  for (int64_t k = begin; k < end; ++k) w[k] = static_cast<float>(w[k] / total);
  while (end - begin > 1 && w[begin] == 0.0f) ++begin;
  while (end - begin > 1 && w[end - 1] == 0.0f) --end;
  *lo_out = lo;
  return {begin, end - begin};
}

// The taps of one axis (Note [Resampling taps]); `mirrored` lists the outputs in reverse order,
// which is the resampled axis flipped.
AxisTaps axis_taps(int64_t src_offset, int64_t src_len, int64_t out_len, int64_t src_limit,
                   bool mirrored) {
  const double scale = static_cast<double>(src_len) / static_cast<double>(out_len);
  // The triangle spans 2·support source pixels, so ceil(2·support) + 2 indices hold its range.
  const auto room = static_cast<int64_t>(std::ceil(2 * std::max(1.0, scale))) + 2;
  std::vector<float> raw(out_len * room);
  std::vector<int64_t> first(out_len), begin(out_len), count(out_len);
  AxisTaps axis;
  for (int64_t o = 0; o < out_len; ++o) {
    int64_t lo = 0;
    std::tie(begin[o], count[o]) = output_taps(mirrored ? out_len - 1 - o : o, src_offset, scale,
                                               src_limit, &raw[o * room], room, &lo);
    first[o] = lo + begin[o];
    axis.taps = std::max(axis.taps, count[o]);
  }
  axis.weights.assign(out_len * axis.taps, 0.0f);
  axis.first.resize(out_len);
  for (int64_t o = 0; o < out_len; ++o) {
    const int64_t start = std::min(first[o], src_limit - axis.taps);  // zeros before, at the border
    axis.first[o] = start;
    const float* w = &raw[o * room + begin[o]];
    std::copy(w, w + count[o], axis.weights.begin() + o * axis.taps + (first[o] - start));
  }
  return axis;
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

// One pixel's three channels and a fourth lane that is never used: the horizontal pass works on
// a whole pixel at a time.
using PixelLanes = float __attribute__((vector_size(16)));

// The horizontal pass of one image row, from its pixels as floats (interleaved RGB from source
// column `col_lo` on, with one float of room after the last): each output sums its taps in
// order, the three channels side by side in one vector, and lands in one float row per channel.
// kTaps > 0: the tap count as a constant, unrolled.
template <int kTaps>
void resample_row(const float* pixels, int64_t col_lo, const AxisTaps& cols, int64_t out_size,
                  float* __restrict red, float* __restrict green, float* __restrict blue) {
  const int64_t taps = kTaps > 0 ? kTaps : cols.taps;
  for (int64_t x = 0; x < out_size; ++x) {
    const float* w = &cols.weights[x * taps];
    const float* p = pixels + (cols.first[x] - col_lo) * 3;
    PixelLanes acc = {0, 0, 0, 0};
    for (int64_t k = 0; k < taps; ++k) {
      PixelLanes source;
      std::memcpy(&source, p + 3 * k, sizeof source);
      acc += w[k] * source;
    }
    red[x] = acc[0];
    green[x] = acc[1];
    blue[x] = acc[2];
  }
}

// Calls f with the tap count as a constant for the common counts (enlarging: 2; shrinking up to
// 1.5×: 3 or 4), else with 0 (the count read at run time).
template <class F>
void with_taps(int64_t taps, F&& f) {
  switch (taps) {
    case 2:
      f(std::integral_constant<int, 2>{});
      break;
    case 3:
      f(std::integral_constant<int, 3>{});
      break;
    case 4:
      f(std::integral_constant<int, 4>{});
      break;
    default:
      f(std::integral_constant<int, 0>{});
  }
}

// The vertical pass of one output row of one channel, each value summing its taps in order in a
// register, then scaled to 0..1; kTaps > 0: the tap count as a constant, unrolled (at a count
// known only at run time the taps go tap by tap over the whole row, which vectorises too).
template <int kTaps>
void resample_column_row(const float* const* rows, const float* w, int64_t taps, int64_t n,
                         float* __restrict out) {
  if constexpr (kTaps > 0) {
    for (int64_t x = 0; x < n; ++x) {
      float acc = 0;
      for (int k = 0; k < kTaps; ++k) acc += w[k] * rows[k][x];
      out[x] = acc / 255.0f;
    }
  } else {
    for (int64_t x = 0; x < n; ++x) out[x] = 0;
    for (int64_t k = 0; k < taps; ++k) {
      const float* __restrict row = rows[k];
      const float weight = w[k];
      for (int64_t x = 0; x < n; ++x) out[x] += weight * row[x];
    }
    for (int64_t x = 0; x < n; ++x) out[x] /= 255.0f;
  }
}

// The vertical pass of every output row of every channel from `across` ([3, span, size], source
// row `row_lo` first).
template <int kTaps>
void resample_columns(const float* across, int64_t span, int64_t row_lo, const AxisTaps& rows,
                      FloatImage& out) {
  const int64_t size = out.width;
  std::vector<const float*> sources(rows.taps);
  for (int c = 0; c < 3; ++c)
    for (int64_t y = 0; y < size; ++y) {
      for (int64_t k = 0; k < rows.taps; ++k)
        sources[k] = across + (c * span + rows.first[y] + k - row_lo) * size;
      resample_column_row<kTaps>(sources.data(), &rows.weights[y * rows.taps], rows.taps, size,
                                 out.plane(c) + y * size);
    }
}

// Horizontal pass over the box's source rows [row_lo, row_hi) into `across` ([3, rows, out]),
// then the vertical pass into the output planes.
template <int kTaps>
PATHODINO_KERNEL_CLONES void resample(const RgbImage& image, const AxisTaps& rows,
                                      const AxisTaps& cols, FloatImage& out, Scratch& scratch) {
  const int64_t size = out.width;
  const int64_t row_lo = *std::min_element(rows.first.begin(), rows.first.end());
  const int64_t row_hi = *std::max_element(rows.first.begin(), rows.first.end()) + rows.taps;
  const int64_t span = row_hi - row_lo;
  const int64_t col_lo = *std::min_element(cols.first.begin(), cols.first.end());
  const int64_t col_hi = *std::max_element(cols.first.begin(), cols.first.end()) + cols.taps;
  // Scratch: the horizontal pass's output [3, span, size], then one source row as floats (each
  // value written before it is read, the spare float after the row included).
  float* across = scratch_floats(scratch, 3 * span * size + (col_hi - col_lo) * 3 + 1);
  float* row_pixels = across + 3 * span * size;
  row_pixels[(col_hi - col_lo) * 3] = 0;
  for (int64_t y = row_lo; y < row_hi; ++y) {
    const uint8_t* source = &image.pixels[(y * image.width + col_lo) * 3];
    for (int64_t i = 0; i < (col_hi - col_lo) * 3; ++i) row_pixels[i] = source[i];
    float* row = across + (y - row_lo) * size;
    resample_row<kTaps>(row_pixels, col_lo, cols, size, row, row + span * size,
                        row + 2 * span * size);
  }
  with_taps(rows.taps, [&](auto taps) {
    resample_columns<decltype(taps)::value>(across, span, row_lo, rows, out);
  });
}

}  // namespace

void crop_and_resize(const RgbImage& image, const CropBox& box, int64_t out_size, bool mirrored,
                     FloatImage& out, Scratch& scratch) {
  if (box.height <= 0 || box.width <= 0 || box.top < 0 || box.left < 0 ||
      box.top + box.height > image.height || box.left + box.width > image.width)
    throw std::invalid_argument("crop_and_resize: crop box outside the image");
  const AxisTaps rows = axis_taps(box.top, box.height, out_size, image.height, false);
  const AxisTaps cols = axis_taps(box.left, box.width, out_size, image.width, mirrored);
  out.height = out.width = out_size;
  out.pixels.resize(3 * out_size * out_size);
  with_taps(cols.taps,
            [&](auto taps) { resample<decltype(taps)::value>(image, rows, cols, out, scratch); });
}

FloatImage crop_and_resize(const RgbImage& image, const CropBox& box, int64_t out_size,
                           bool mirrored) {
  FloatImage out;
  Scratch scratch;
  crop_and_resize(image, box, out_size, mirrored, out, scratch);
  return out;
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
