// Synthetic slides as OpenSlide sees them: vendor, pyramid, µm/px where each flavour keeps it, and
// pixels that match the rendered tissue up to JPEG loss; background reads as white; the same seed
// writes the same bytes.
#include <gtest/gtest.h>
#include <openslide.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "data/synthetic/synthetic_slide.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

struct Slide {
  explicit Slide(const fs::path& file) : osr(openslide_open(file.c_str())) {}
  ~Slide() {
    if (osr) openslide_close(osr);
  }
  std::string property(const char* name) const {
    const char* value = openslide_get_property_value(osr, name);
    return value ? value : "";
  }
  openslide_t* osr;
};

SyntheticSlideOptions small(SlideFlavour flavour) {
  SyntheticSlideOptions o;
  o.width = 2304;  // not a multiple of the tile: edge tiles are padded
  o.height = 1536;
  o.flavour = flavour;
  o.seed = 5;
  return o;
}

// Mean absolute difference over a region, OpenSlide's ARGB against the rendered RGB.
double mean_difference(openslide_t* osr, const RgbImage& truth, int64_t x0, int64_t y0,
                       int64_t size) {
  std::vector<uint32_t> argb(size * size);
  openslide_read_region(osr, argb.data(), x0, y0, 0, size, size);
  EXPECT_EQ(openslide_get_error(osr), nullptr);
  double total = 0;
  for (int64_t y = 0; y < size; ++y)
    for (int64_t x = 0; x < size; ++x) {
      const uint32_t p = argb[y * size + x];
      const uint8_t* t = &truth.pixels[((y0 + y) * truth.width + x0 + x) * 3];
      total += std::abs(static_cast<int>((p >> 16) & 0xff) - t[0]) +
               std::abs(static_cast<int>((p >> 8) & 0xff) - t[1]) +
               std::abs(static_cast<int>(p & 0xff) - t[2]);
    }
  return total / static_cast<double>(size * size * 3);
}

class SyntheticSlideFile : public testing::TestWithParam<SlideFlavour> {};

TEST_P(SyntheticSlideFile, OpenSlideReadsWhatWasRendered) {
  const SyntheticSlideOptions options = small(GetParam());
  const bool aperio = GetParam() == SlideFlavour::aperio;
  const testing_support::ScratchDir dir("slides");
  const fs::path file = dir / (aperio ? "a.svs" : "g.tiff");
  write_synthetic_slide(options, file);
  const Slide slide(file);
  ASSERT_NE(slide.osr, nullptr) << file;
  ASSERT_EQ(openslide_get_error(slide.osr), nullptr);
  EXPECT_EQ(slide.property("openslide.vendor"), aperio ? "aperio" : "generic-tiff");
  ASSERT_EQ(openslide_get_level_count(slide.osr), 3);  // 2304, 1152, 576 px wide
  int64_t w = 0, h = 0;
  openslide_get_level_dimensions(slide.osr, 0, &w, &h);
  EXPECT_EQ(w, options.width);
  EXPECT_EQ(h, options.height);
  openslide_get_level_dimensions(slide.osr, 1, &w, &h);
  EXPECT_EQ(w, options.width / 2);
  if (aperio) {
    EXPECT_EQ(std::stod(slide.property("openslide.mpp-x")), 0.5);
    EXPECT_EQ(std::stod(slide.property("aperio.AppMag")), 20.0);
  } else {
    EXPECT_EQ(slide.property("openslide.mpp-x"), "") << "generic TIFF: no mpp from OpenSlide";
    EXPECT_EQ(slide.property("tiff.ResolutionUnit"), "centimeter");
    EXPECT_NEAR(std::stod(slide.property("tiff.XResolution")), 10000 / 0.5, 1e-3);
  }

  const RgbImage truth = render_slide(options);
  const std::vector<int64_t> layout = slide_layout(options);
  const int64_t cols = (options.width + options.region_size - 1) / options.region_size;
  int tissue = 0, background = 0;
  for (size_t i = 0; i < layout.size(); ++i) {
    const int64_t x0 = static_cast<int64_t>(i) % cols * options.region_size + 64;
    const int64_t y0 = static_cast<int64_t>(i) / cols * options.region_size + 64;
    if (x0 + 200 > options.width || y0 + 200 > options.height) continue;
    const double error = mean_difference(slide.osr, truth, x0, y0, 200);
    EXPECT_LT(error, layout[i] < 0 ? 1.0 : 6.0) << "region " << i << " class " << layout[i];
    (layout[i] < 0 ? background : tissue)++;
  }
  EXPECT_GE(tissue, 4);
  EXPECT_GE(background, 1);
}

INSTANTIATE_TEST_SUITE_P(Flavours, SyntheticSlideFile,
                         testing::Values(SlideFlavour::generic, SlideFlavour::aperio));

TEST(SyntheticSlide, SameSeedSameBytesOtherSeedOtherLayout) {
  SyntheticSlideOptions options = small(SlideFlavour::generic);
  options.width = options.height = 1024;
  const testing_support::ScratchDir dir("slides");
  const fs::path a = dir / "same_a.tiff", b = dir / "same_b.tiff";
  write_synthetic_slide(options, a);
  write_synthetic_slide(options, b);
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  const std::string bytes_a{std::istreambuf_iterator<char>(fa), {}};
  const std::string bytes_b{std::istreambuf_iterator<char>(fb), {}};
  EXPECT_EQ(bytes_a, bytes_b);
  options.seed = 6;
  EXPECT_NE(slide_layout(options), slide_layout(small(SlideFlavour::generic)));
}

TEST(SyntheticSlide, EveryClassAppearsOnALargeSlide) {
  SyntheticSlideOptions options;
  options.width = options.height = 8192;
  const std::vector<int64_t> layout = slide_layout(options);
  for (int64_t c = -1; c < options.num_classes; ++c)
    EXPECT_GT(std::count(layout.begin(), layout.end(), c), 0) << "class " << c;
}

TEST(SyntheticSlide, ClassWeightsSetTheClassProportions) {
  SyntheticSlideOptions options;
  options.width = options.height = 512 * 200;  // 40,000 regions, about 28,000 of tissue
  options.class_weights = {70, 20, 5, 5};
  const std::vector<int64_t> layout = slide_layout(options);
  const double tissue = static_cast<double>(layout.size()) -
                        static_cast<double>(std::count(layout.begin(), layout.end(), -1));
  for (int64_t c = 0; c < 4; ++c) {
    const double share = static_cast<double>(std::count(layout.begin(), layout.end(), c)) / tissue;
    EXPECT_NEAR(share, options.class_weights[static_cast<size_t>(c)] / 100, 0.012) << "class " << c;
  }
  // The background draw is the same: the weights move classes, not tissue.
  SyntheticSlideOptions equal = options;
  equal.class_weights.clear();
  const std::vector<int64_t> plain = slide_layout(equal);
  for (size_t i = 0; i < layout.size(); ++i) ASSERT_EQ(layout[i] < 0, plain[i] < 0) << i;
  options.class_weights = {1, 2, 3};
  EXPECT_THROW(slide_layout(options), std::invalid_argument);
  options.class_weights = {1, -1, 1, 1};
  EXPECT_THROW(slide_layout(options), std::invalid_argument);
}

}  // namespace
}  // namespace pathodino::data
