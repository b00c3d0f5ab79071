// The synthetic H&E renderer: deterministic, and its classes differ in the ways a pathologist
// (and a kNN on learned features) can see.
#include <gtest/gtest.h>

#include <fstream>

#include "data/synthetic/tissue_renderer.h"

using namespace pathodino::data;

namespace {

struct Shares {
  double nuclei = 0, clear = 0;
};

Shares measure(const RgbImage& image) {
  Shares s;
  const auto n = static_cast<double>(image.width * image.height);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    const int r = image.pixels[i], g = image.pixels[i + 1], b = image.pixels[i + 2];
    s.nuclei += (r < 140 && b > g + 40) / n;         // haematoxylin purple
    s.clear += (r > 238 && g > 230 && b > 236) / n;  // unstained
  }
  return s;
}

Shares average(int64_t cls) {
  Shares total;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    const Shares s = measure(render_tissue(tissue_class(cls), 128, seed * 100 + cls));
    total.nuclei += s.nuclei / 8, total.clear += s.clear / 8;
  }
  return total;
}

TEST(TissueRenderer, DeterministicPerSeed) {
  const auto a = render_tissue(tissue_class(2), 64, 5), b = render_tissue(tissue_class(2), 64, 5);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(a.pixels, render_tissue(tissue_class(2), 64, 6).pixels);
  EXPECT_EQ(a.pixels.size(), 64u * 64u * 3u);
}

TEST(TissueRenderer, ClassesDifferInNucleiAndClearSpace) {
  const Shares stroma = average(0), lymphocytes = average(1), tumour = average(2),
               adipose = average(3);
  EXPECT_GT(lymphocytes.nuclei, 2 * stroma.nuclei);
  EXPECT_GT(tumour.nuclei, 2 * stroma.nuclei);
  EXPECT_GT(adipose.clear, 0.2);
  EXPECT_LT(stroma.clear, 0.05);
  EXPECT_LT(lymphocytes.clear, 0.05);
  EXPECT_EQ(tissue_class(1).name, "lymphocytes");
  EXPECT_GT(tissue_class(5).nuclei_per_10k_px, tissue_class(1).nuclei_per_10k_px);  // a variant
}

}  // namespace

#include "data/synthetic/stain_variation.h"

namespace {

TEST(StainVariation, IdentityAtZeroDeterministicAndGreyStaysGrey) {
  const RgbImage original = render_tissue(tissue_class(1), 48, 3);
  RgbImage unchanged = original;
  apply_stain_variation(unchanged, 0.0, 9);
  EXPECT_EQ(unchanged.pixels, original.pixels);
  RgbImage a = original, b = original, c = original;
  apply_stain_variation(a, 1.0, 9);
  apply_stain_variation(b, 1.0, 9);
  apply_stain_variation(c, 1.0, 10);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_NE(a.pixels, original.pixels);
  EXPECT_NE(a.pixels, c.pixels);
  // Hue rotates about the grey axis and saturation scales away from it: greys stay grey.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    RgbImage grey{1, 1, {120, 120, 120}};
    apply_stain_variation(grey, 1.0, seed);
    EXPECT_NEAR(grey.pixels[0], grey.pixels[1], 1) << seed;
    EXPECT_NEAR(grey.pixels[1], grey.pixels[2], 1) << seed;
  }
}

}  // namespace
