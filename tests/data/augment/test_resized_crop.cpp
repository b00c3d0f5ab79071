// The resampler against the direct form it must equal bit for bit: per output pixel the whole
// triangle-filter footprint (zero weights included), a horizontal pass on interleaved pixels,
// then a vertical pass, each summing its taps in order (Note [Resampling taps]), at every
// instruction-set clone the CPU picks (Note [Kernel clones]); and the mirrored resample against
// the resample flipped afterwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "data/augment/resized_crop.h"

namespace pathodino::data {
namespace {

struct Footprint {
  int64_t first = 0;
  std::vector<float> weights;
};

std::vector<Footprint> footprints(int64_t offset, int64_t len, int64_t out, int64_t limit) {
  const double scale = static_cast<double>(len) / static_cast<double>(out);
  const double support = std::max(1.0, scale);
  std::vector<Footprint> all;
  for (int64_t o = 0; o < out; ++o) {
    const double centre = offset + (o + 0.5) * scale;
    const auto lo = std::max<int64_t>(0, static_cast<int64_t>(std::floor(centre - support)));
    const auto hi = std::min<int64_t>(limit - 1, static_cast<int64_t>(std::ceil(centre + support)));
    Footprint f{lo, {}};
    double total = 0;
    for (int64_t s = lo; s <= hi; ++s) {
      const double weight = std::max(0.0, 1.0 - std::abs((s + 0.5 - centre) / support));
      f.weights.push_back(static_cast<float>(weight));
      total += weight;
    }
    for (auto& w : f.weights) w = static_cast<float>(w / total);
    all.push_back(std::move(f));
  }
  return all;
}

FloatImage reference_resize(const RgbImage& image, const CropBox& box, int64_t out) {
  const auto rows = footprints(box.top, box.height, out, image.height);
  const auto cols = footprints(box.left, box.width, out, image.width);
  std::vector<float> across(image.height * out * 3);  // [source row, x, channel]
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < out; ++x)
      for (int c = 0; c < 3; ++c) {
        float acc = 0;
        for (size_t k = 0; k < cols[x].weights.size(); ++k)
          acc += cols[x].weights[k] *
                 image.pixels[(y * image.width + cols[x].first + static_cast<int64_t>(k)) * 3 + c];
        across[(y * out + x) * 3 + c] = acc;
      }
  FloatImage result(out, out);
  for (int64_t y = 0; y < out; ++y)
    for (int64_t x = 0; x < out; ++x)
      for (int c = 0; c < 3; ++c) {
        float acc = 0;
        for (size_t k = 0; k < rows[y].weights.size(); ++k)
          acc += rows[y].weights[k] *
                 across[((rows[y].first + static_cast<int64_t>(k)) * out + x) * 3 + c];
        result.plane(c)[y * out + x] = acc / 255.0f;
      }
  return result;
}

// Boxes that enlarge, shrink a little or a lot, touch the borders, have one row or column, with
// output sizes that leave vector tails.
TEST(ResizedCrop, EqualsTheDirectFormBitForBitAndMirrorsInItsPass) {
  std::mt19937_64 rng(11);
  RgbImage image{170, 150, std::vector<uint8_t>(150 * 170 * 3)};  // width 170, height 150
  for (auto& p : image.pixels) p = static_cast<uint8_t>(rng());
  std::vector<std::pair<CropBox, int64_t>> cases = {
      {{0, 0, 150, 170}, 224}, {{0, 0, 150, 170}, 96}, {{149, 169, 1, 1}, 7},
      {{0, 3, 150, 1}, 33},    {{10, 20, 57, 41}, 96}, {{0, 0, 150, 150}, 13}};
  for (int i = 0; i < 40; ++i)
    cases.push_back({random_resized_crop_box(150, 170, 0.05, 1.0, rng),
                     std::uniform_int_distribution<int64_t>(5, 230)(rng)});
  Scratch scratch;
  FloatImage reused;
  for (const auto& [box, out] : cases) {
    const FloatImage expected = reference_resize(image, box, out);
    ASSERT_EQ(crop_and_resize(image, box, out).pixels, expected.pixels)
        << box.top << "," << box.left << " " << box.height << "x" << box.width << " -> " << out;
    FloatImage flipped = expected;
    flip_horizontal(flipped);
    crop_and_resize(image, box, out, true, reused, scratch);  // storage reused across sizes
    ASSERT_EQ(reused.height, out);
    ASSERT_EQ(reused.pixels, flipped.pixels) << "mirrored, " << box.height << "x" << box.width;
  }
}

}  // namespace
}  // namespace pathodino::data
