// Augmentation: resampling, crop boxes, flips and turns, colour operations, the multi-crop recipe.
#include <gtest/gtest.h>

#include <map>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "data/augment/color_ops.h"
#include "data/augment/multi_crop.h"
#include "data/augment/resized_crop.h"
#include "data/augment/stain_jitter.h"

namespace pathodino::data {
namespace {

RgbImage constant_image(int64_t size, uint8_t r, uint8_t g, uint8_t b) {
  RgbImage image{size, size, {}};
  for (int64_t i = 0; i < size * size; ++i) image.pixels.insert(image.pixels.end(), {r, g, b});
  return image;
}

FloatImage ramp(int64_t n) {  // distinct values everywhere
  FloatImage image(n, n);
  std::iota(image.pixels.begin(), image.pixels.end(), 0.0f);
  return image;
}

TEST(ResizedCrop, ConstantImageStaysConstantAtAnyScale) {
  const RgbImage image = constant_image(64, 200, 100, 50);
  for (const CropBox box : {CropBox{0, 0, 64, 64}, CropBox{3, 7, 20, 33}, CropBox{10, 10, 5, 5}})
    for (int64_t out : {8, 17, 48, 96}) {
      const FloatImage crop = crop_and_resize(image, box, out);
      for (int c = 0; c < 3; ++c)
        for (int64_t i = 0; i < crop.plane_size(); ++i)
          ASSERT_NEAR(crop.plane(c)[i], (c == 0 ? 200 : c == 1 ? 100 : 50) / 255.0f, 1e-5);
    }
}

TEST(ResizedCrop, SameSizeFullBoxIsExact) {
  RgbImage square{4, 4, {}};
  for (int i = 0; i < 4 * 4 * 3; ++i) square.pixels.push_back(static_cast<uint8_t>(i * 5));
  const FloatImage exact = crop_and_resize(square, {0, 0, 4, 4}, 4);
  for (int64_t y = 0; y < 4; ++y)
    for (int64_t x = 0; x < 4; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_FLOAT_EQ(exact.plane(c)[y * 4 + x], square.pixels[(y * 4 + x) * 3 + c] / 255.0f);
}

TEST(ResizedCrop, ShrinkingAveragesInsteadOfAliasing) {
  RgbImage checker{64, 64, std::vector<uint8_t>(64 * 64 * 3)};
  for (int64_t y = 0; y < 64; ++y)
    for (int64_t x = 0; x < 64; ++x)
      for (int c = 0; c < 3; ++c) checker.pixels[(y * 64 + x) * 3 + c] = (x + y) % 2 ? 255 : 0;
  const FloatImage small = crop_and_resize(checker, {0, 0, 64, 64}, 8);
  for (int64_t i = 0; i < small.plane_size(); ++i) ASSERT_NEAR(small.plane(0)[i], 0.5, 0.05);
}

TEST(ResizedCrop, BoxesRespectScaleAspectAndBounds) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 2000; ++i) {
    const CropBox box = random_resized_crop_box(128, 96, 0.05, 0.32, rng);
    ASSERT_GE(box.top, 0);
    ASSERT_GE(box.left, 0);
    ASSERT_LE(box.top + box.height, 128);
    ASSERT_LE(box.left + box.width, 96);
    const double share = static_cast<double>(box.height * box.width) / (128.0 * 96.0);
    ASSERT_GT(share, 0.04);
    ASSERT_LT(share, 0.36);
    const double aspect = static_cast<double>(box.width) / static_cast<double>(box.height);
    ASSERT_GT(aspect, 0.6);
    ASSERT_LT(aspect, 1.6);
  }
}

TEST(Geometry, QuarterTurnsAndFlips) {
  FloatImage image = ramp(3);
  const FloatImage original = image;
  rotate_quarter_turns(image, 1);  // counter-clockwise: top-right corner moves to top-left
  EXPECT_EQ(image.plane(0)[0], original.plane(0)[2]);
  EXPECT_EQ(image.plane(1)[2 * 3 + 0], original.plane(1)[0]);  // top-left → bottom-left
  rotate_quarter_turns(image, 3);
  EXPECT_EQ(image.pixels, original.pixels);
  flip_horizontal(image);
  EXPECT_EQ(image.plane(2)[0], original.plane(2)[2]);
  flip_horizontal(image);
  flip_vertical(image);
  EXPECT_EQ(image.plane(0)[0], original.plane(0)[6]);
  flip_vertical(image);
  EXPECT_EQ(image.pixels, original.pixels);
}

FloatImage colour(float r, float g, float b) {
  FloatImage image(2, 2);
  for (int64_t i = 0; i < 4; ++i) {
    image.plane(0)[i] = r;
    image.plane(1)[i] = g;
    image.plane(2)[i] = b;
  }
  return image;
}

TEST(ColorOps, TorchvisionSemantics) {
  FloatImage red = colour(0.8f, 0.1f, 0.1f);
  adjust_hue(red, 1.0 / 3.0);  // a third of a turn: red → green
  EXPECT_NEAR(red.plane(0)[0], 0.1, 1e-5);
  EXPECT_NEAR(red.plane(1)[0], 0.8, 1e-5);
  EXPECT_NEAR(red.plane(2)[0], 0.1, 1e-5);

  FloatImage pink = colour(0.9f, 0.5f, 0.7f);
  const FloatImage before = pink;
  adjust_hue(pink, 0.0);
  for (size_t i = 0; i < pink.pixels.size(); ++i)
    ASSERT_NEAR(pink.pixels[i], before.pixels[i], 1e-5);
  adjust_saturation(pink, 0.0);
  const float grey = 0.299f * 0.9f + 0.587f * 0.5f + 0.114f * 0.7f;
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(pink.plane(c)[0], grey, 1e-5);

  FloatImage dark = colour(0.2f, 0.4f, 0.6f);
  adjust_brightness(dark, 2.0);
  EXPECT_NEAR(dark.plane(2)[0], 1.0, 1e-6);  // clamped
  adjust_contrast(dark, 0.0);                // everything becomes the mean grey level
  EXPECT_NEAR(dark.plane(0)[0], dark.plane(2)[3], 1e-6);

  FloatImage bright = colour(0.7f, 0.2f, 0.5f);
  solarize(bright);
  EXPECT_NEAR(bright.plane(0)[0], 0.3, 1e-6);
  EXPECT_NEAR(bright.plane(1)[0], 0.2, 1e-6);
  EXPECT_NEAR(bright.plane(2)[0], 0.5, 1e-6);  // 0.5 ≥ threshold: inverted to 0.5
}

TEST(StainJitter, OffDrawsNothingOnChangesAndStaysInRange) {
  // (Against scikit-image's formulas: tests/data/augment/test_stain_jitter_reference.py.)
  FloatImage image(8, 8);
  std::mt19937_64 fill(3);
  for (float& v : image.pixels) v = std::uniform_real_distribution<float>(0.2f, 0.9f)(fill);
  const FloatImage original = image;
  std::mt19937_64 rng(1), untouched(1);
  hed_jitter(image, 0.0, rng);
  EXPECT_EQ(image.pixels, original.pixels);
  EXPECT_EQ(rng(), untouched());  // sigma 0 leaves the crop's random stream alone
  hed_jitter(image, 0.2, rng);
  float moved = 0;
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    EXPECT_GE(image.pixels[i], 0.0f);
    EXPECT_LE(image.pixels[i], 1.0f);
    moved = std::max(moved, std::abs(image.pixels[i] - original.pixels[i]));
  }
  EXPECT_GT(moved, 0.01f);
  // Haematoxylin up (α_h > 1) darkens a purple nucleus-like pixel most in red and green.
  FloatImage nucleus(1, 1);
  nucleus.pixels = {0.45f, 0.30f, 0.60f};
  hed_jitter(nucleus, {1.3, 1.0, 1.0}, {0.0, 0.0, 0.0});
  EXPECT_LT(nucleus.pixels[0], 0.45f);
  EXPECT_LT(nucleus.pixels[1], 0.30f);
}

TEST(MultiCrop, RecipeShapesAndDeterminism) {
  DataOptions options;
  options.global_crops_size = 32;
  options.local_crops_size = 16;
  options.local_crops_number = 3;
  const MultiCropAugment augment(options);
  RgbImage image{64, 64, std::vector<uint8_t>(64 * 64 * 3)};
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i * 7);
  std::mt19937_64 a(9), b(9), c(10);
  const auto crops = augment(image, a);
  ASSERT_EQ(crops.size(), 5u);
  EXPECT_EQ(crops[0].height, 32);
  EXPECT_EQ(crops[1].width, 32);
  EXPECT_EQ(crops[4].height, 16);
  const auto again = augment(image, b);
  const auto other = augment(image, c);
  for (size_t i = 0; i < crops.size(); ++i) EXPECT_EQ(crops[i].pixels, again[i].pixels);
  EXPECT_NE(crops[0].pixels, other[0].pixels);
  for (const auto& crop : crops)
    for (float v : crop.pixels) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
}

// The xray preset fires no flip, greyscale or solarize; its colour jitter keeps a gray image gray
// (brightness and contrast only); colour jitter and blur still fire. The dinov2 preset, as a
// control, fires flips, greyscale and solarize over the same draws.
TEST(MultiCrop, XrayPresetKeepsOrientationAndGray) {
  const auto count = [](AugmentationPreset preset) {
    DataOptions options;
    options.global_crops_size = 32;
    options.local_crops_size = 16;
    options.local_crops_number = 2;
    options.augmentation = preset;
    MultiCropAugment augment(options);
    std::map<std::string, int> fired;
    augment.set_observer([&](const char*, const char* op) { ++fired[op]; });
    RgbImage image{48, 48, {}};
    for (int64_t i = 0; i < 48 * 48; ++i)
      for (int c = 0; c < 3; ++c) image.pixels.push_back(static_cast<uint8_t>((i * 5) % 251));
    std::mt19937_64 rng(3);
    bool gray = true;
    for (int n = 0; n < 200; ++n)
      for (const FloatImage& crop : augment(image, rng)) {  // planes R, G, B
        const size_t plane = crop.pixels.size() / 3;
        for (size_t p = 0; p < plane; ++p)
          gray = gray && crop.pixels[p] == crop.pixels[plane + p] &&
                 crop.pixels[p] == crop.pixels[2 * plane + p];
      }
    return std::make_pair(fired, gray);
  };
  const auto [xray, xray_gray] = count(AugmentationPreset::xray);
  EXPECT_EQ(xray.count("flip"), 0u);
  EXPECT_EQ(xray.count("grayscale"), 0u);
  EXPECT_EQ(xray.count("solarize"), 0u);
  EXPECT_GT(xray.at("color_jitter"), 300);
  EXPECT_GT(xray.at("blur"), 100);
  EXPECT_TRUE(xray_gray);
  const auto dinov2 = count(AugmentationPreset::dinov2).first;
  EXPECT_GT(dinov2.at("flip"), 300);
  EXPECT_GT(dinov2.at("solarize"), 10);
  EXPECT_GT(dinov2.at("grayscale"), 50);
}

// The per-pixel hue rotation adjust_hue replaced (branches, a lookup table, fmod/floor, the shift
// added in double): the reference its vectorised form must equal.
void reference_hue(FloatImage& image, double shift) {
  for (int64_t i = 0; i < image.plane_size(); ++i) {
    float& r = image.plane(0)[i];
    float& g = image.plane(1)[i];
    float& b = image.plane(2)[i];
    const float max = std::max({r, g, b}), min = std::min({r, g, b}), chroma = max - min;
    if (chroma <= 0) continue;
    float h;
    if (max == r)
      h = std::fmod((g - b) / chroma, 6.0f) / 6.0f;
    else if (max == g)
      h = ((b - r) / chroma + 2.0f) / 6.0f;
    else
      h = ((r - g) / chroma + 4.0f) / 6.0f;
    h = static_cast<float>(h + shift);
    h -= std::floor(h);
    const float s = chroma / max, v = max, sector = h * 6.0f;
    const int k = static_cast<int>(sector) % 6;
    const float f = sector - std::floor(sector);
    const float p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    const float rgb[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
    r = rgb[k][0];
    g = rgb[k][1];
    b = rgb[k][2];
  }
}

// Random pixels (greys, saturated primaries and ties between channels included) at shifts over
// the whole range: the vectorised rotation equals the per-pixel one to float rounding.
TEST(ColorOps, HueRotationEqualsThePerPixelReference) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> unit(0, 1);
  FloatImage image(64, 64);
  for (auto& v : image.pixels) v = unit(rng);
  for (int64_t i = 0; i < 64; ++i) {  // ties and greys: max == min, two channels equal
    image.plane(0)[i] = image.plane(1)[i] = image.plane(2)[i] = unit(rng);
    image.plane(1)[64 + i] = image.plane(0)[64 + i];
    image.plane(2)[128 + i] = image.plane(0)[128 + i] = 1.0f;
  }
  double worst = 0;
  for (double shift : {-0.5, -0.37, -0.1, 0.0, 1e-7, 0.1, 1.0 / 3.0, 0.49, 0.5}) {
    FloatImage ours = image, theirs = image;
    adjust_hue(ours, shift);
    reference_hue(theirs, shift);
    for (size_t i = 0; i < ours.pixels.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::abs(ours.pixels[i] - theirs.pixels[i])));
  }
  std::printf("vectorised hue rotation against the per-pixel one: max |diff| %.2e\n", worst);
  EXPECT_LE(worst, 1e-5);
}

// Saturation and greyscale work pixel by pixel now; their values are bit for bit those of a blend
// with a grey copy of the image, and of the grey copy itself.
TEST(ColorOps, SaturationAndGrayscaleEqualTheirGreyCopyForms) {
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<float> unit(0, 1);
  FloatImage image(32, 48);
  for (auto& v : image.pixels) v = unit(rng);
  FloatImage grey_copy(32, 48);
  for (int64_t i = 0; i < image.plane_size(); ++i) {
    const float v =
        0.299f * image.plane(0)[i] + 0.587f * image.plane(1)[i] + 0.114f * image.plane(2)[i];
    for (int c = 0; c < 3; ++c) grey_copy.plane(c)[i] = v;
  }
  for (double factor : {0.0, 0.6, 1.0, 1.4}) {
    FloatImage ours = image;
    adjust_saturation(ours, factor);
    for (size_t i = 0; i < ours.pixels.size(); ++i) {
      const float blended = std::clamp(
          static_cast<float>(factor * image.pixels[i] + (1 - factor) * grey_copy.pixels[i]), 0.0f,
          1.0f);
      ASSERT_EQ(ours.pixels[i], blended) << "factor " << factor << " at " << i;
    }
  }
  FloatImage grey = image;
  to_grayscale(grey);
  EXPECT_EQ(grey.pixels, grey_copy.pixels);
}

// Contrast sums the mean grey level over 8 partial sums; against one running sum (torchvision's
// arithmetic written out) the mean may differ in its last bits, so the values agree to 1 ulp.
TEST(ColorOps, ContrastEqualsTheRunningMeanFormTo1Ulp) {
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<float> unit(0, 1);
  int64_t values = 0, differ = 0;
  for (int64_t size : {1, 7, 96, 224}) {
    FloatImage image(size, size + 3);
    for (auto& v : image.pixels) v = unit(rng) * unit(rng);
    double mean = 0;
    for (int64_t i = 0; i < image.plane_size(); ++i)
      mean += 0.299f * image.plane(0)[i] + 0.587f * image.plane(1)[i] + 0.114f * image.plane(2)[i];
    mean /= static_cast<double>(image.plane_size());
    for (double factor : {0.6, 1.0, 1.4}) {
      FloatImage ours = image;
      adjust_contrast(ours, factor);
      for (size_t i = 0; i < ours.pixels.size(); ++i) {
        const float theirs = std::clamp(
            static_cast<float>(factor * image.pixels[i] + (1 - factor) * mean), 0.0f, 1.0f);
        ASSERT_LE(std::abs(ours.pixels[i] - theirs), std::nextafter(theirs, 2.0f) - theirs);
        differ += ours.pixels[i] != theirs;
        ++values;
      }
    }
  }
  std::printf("contrast against the running-mean form: %lld of %lld values differ (by 1 ulp)\n",
              static_cast<long long>(differ), static_cast<long long>(values));
}

}  // namespace
}  // namespace pathodino::data
