// Opening slides and reading their scale: the RAII handle on real synthetic pyramidal TIFFs, the
// µm/px fallback chain (vendor metadata → TIFF resolution → config → refused), ARGB on white, and
// the clear errors bad files must give (missing, zero bytes, random bytes, truncated).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "data/slide/microns_per_pixel.h"
#include "data/slide/openslide_handle.h"
#include "data/synthetic/synthetic_slide.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

class SlideAccess : public testing::Test {
 protected:
  fs::path write(SlideFlavour flavour, bool resolution = true) {
    SyntheticSlideOptions o;
    o.width = 1536;
    o.height = 1024;
    o.flavour = flavour;
    o.resolution_tags = resolution;
    o.seed = 3;
    const fs::path file = dir_ / (std::string(flavour == SlideFlavour::aperio ? "a" : "g") +
                                  (resolution ? "" : "_nores") +
                                  (flavour == SlideFlavour::aperio ? ".svs" : ".tiff"));
    write_synthetic_slide(o, file);
    options_ = o;
    return file;
  }

  testing_support::ScratchDir scratch_{"access"};
  const fs::path& dir_ = scratch_.path();
  SyntheticSlideOptions options_;
};

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const SlideError& e) {
    return e.what();
  }
  return "";
}

TEST_F(SlideAccess, MicronsPerPixelFollowsTheFallbackChain) {
  const OpenSlideHandle aperio(write(SlideFlavour::aperio));
  const MicronsPerPixel a = microns_per_pixel(aperio);
  EXPECT_EQ(a.source, "openslide.mpp");
  EXPECT_DOUBLE_EQ(a.x, 0.5);

  const OpenSlideHandle generic(write(SlideFlavour::generic));
  const MicronsPerPixel g = microns_per_pixel(generic);
  EXPECT_EQ(g.source, "tiff resolution");
  EXPECT_NEAR(g.x, 0.5, 1e-6);
  EXPECT_NEAR(g.y, 0.5, 1e-6);

  const fs::path bare_file = write(SlideFlavour::generic, /*resolution=*/false);
  const OpenSlideHandle bare(bare_file);
  const std::string refused = error_of([&] { microns_per_pixel(bare); });
  EXPECT_NE(refused.find(bare_file.string() + ": no µm/px"), std::string::npos) << refused;
  EXPECT_NE(refused.find("data.wsi.fallback_mpp"), std::string::npos) << refused;
  const MicronsPerPixel c = microns_per_pixel(bare, 0.25);
  EXPECT_EQ(c.source, "config");
  EXPECT_DOUBLE_EQ(c.x, 0.25);
}

TEST_F(SlideAccess, RegionsMatchTheRenderedTissue) {
  const OpenSlideHandle slide(write(SlideFlavour::aperio));
  EXPECT_EQ(slide.level_count(), 2);
  EXPECT_EQ(slide.level_size(0), std::make_pair(int64_t{1536}, int64_t{1024}));
  EXPECT_DOUBLE_EQ(slide.level_downsample(1), 2.0);
  const RgbImage truth = render_slide(options_);
  const RgbImage region = slide.read_region(300, 200, 0, 224, 224);
  ASSERT_EQ(region.pixels.size(), 224u * 224 * 3);
  double error = 0;
  for (int64_t y = 0; y < 224; ++y)
    for (int64_t x = 0; x < 224 * 3; ++x)
      error += std::abs(region.pixels[y * 224 * 3 + x] -
                        truth.pixels[((200 + y) * truth.width + 300) * 3 + x]);
  EXPECT_LT(error / (224 * 224 * 3), 6.0);
  // Outside the slide OpenSlide returns transparent pixels: background white, not black.
  const RgbImage outside = slide.read_region(1536 + 10, 0, 0, 8, 8);
  for (uint8_t v : outside.pixels) ASSERT_EQ(v, 255);
}

TEST(ArgbOnWhite, UnpremultipliesAndComposites) {
  const uint32_t pixels[] = {0x00000000u, 0xffff0000u, 0x80800000u, 0xff102030u};
  uint8_t rgb[12];
  argb_to_rgb_on_white(pixels, 4, rgb);
  EXPECT_EQ(std::vector<int>(rgb, rgb + 3), (std::vector<int>{255, 255, 255}));  // transparent
  EXPECT_EQ(std::vector<int>(rgb + 3, rgb + 6), (std::vector<int>{255, 0, 0}));  // opaque red
  // Half-transparent red (premultiplied 0x80) over white: red stays 255, green/blue 127.
  EXPECT_EQ(std::vector<int>(rgb + 6, rgb + 9), (std::vector<int>{255, 127, 127}));
  EXPECT_EQ(std::vector<int>(rgb + 9, rgb + 12), (std::vector<int>{0x10, 0x20, 0x30}));
}

TEST_F(SlideAccess, BadFilesGiveClearErrors) {
  const fs::path missing = dir_ / "missing.svs";
  EXPECT_EQ(error_of([&] { OpenSlideHandle s(missing); }), missing.string() + ": no such file");

  const fs::path empty = dir_ / "empty.svs";
  std::ofstream(empty).close();
  EXPECT_EQ(error_of([&] { OpenSlideHandle s(empty); }),
            empty.string() + ": not a slide format OpenSlide knows");

  const fs::path noise = dir_ / "noise.tiff";
  {
    std::ofstream out(noise, std::ios::binary);
    std::mt19937 rng(1);
    for (int i = 0; i < 100000; ++i) out.put(static_cast<char>(rng()));
  }
  EXPECT_EQ(error_of([&] { OpenSlideHandle s(noise); }),
            noise.string() + ": not a slide format OpenSlide knows");

  // Truncated: the header and directories may survive, the tiles do not. Whatever OpenSlide
  // notices first — at open or at a read — it must surface as a SlideError naming the file.
  const fs::path whole = write(SlideFlavour::generic);
  const fs::path cut = dir_ / "cut.tiff";
  fs::copy_file(whole, cut);
  fs::resize_file(cut, fs::file_size(whole) / 3);
  const std::string error = error_of([&] {
    OpenSlideHandle s(cut);
    const auto [w, h] = s.level_size(0);
    for (int64_t y = 0; y < h; y += 256)
      for (int64_t x = 0; x < w; x += 256) s.read_region(x, y, 0, 256, 256);
  });
  EXPECT_EQ(error.rfind(cut.string() + ": ", 0), 0u) << error;
}

}  // namespace
}  // namespace pathodino::data
