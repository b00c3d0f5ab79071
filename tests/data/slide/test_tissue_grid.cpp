// Tissue detection and the tile grid on synthetic slides read back through OpenSlide, where the
// truth is known: the slide's layout says which regions are tissue (and of which class) and which
// are background.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data/slide/openslide_handle.h"
#include "data/slide/tile_grid.h"
#include "data/slide/tissue_mask.h"
#include "data/synthetic/synthetic_slide.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

TEST(TissueMask, SaturationAndOtsu) {
  RgbImage image{3, 1, {255, 255, 255, 255, 0, 0, 128, 128, 128}};
  EXPECT_EQ(saturation(image), (std::vector<uint8_t>{0, 255, 0}));
  std::vector<uint8_t> values;
  for (int i = 0; i < 300; ++i) values.push_back(static_cast<uint8_t>(15 + i % 10));
  for (int i = 0; i < 100; ++i) values.push_back(static_cast<uint8_t>(150 + i % 20));
  const int t = otsu_threshold(values);
  EXPECT_GT(t, 24);
  EXPECT_LE(t, 150);
}

TEST(TissueMask, FloorKeepsGlassNoiseOut) {
  // An all-background image with faint noise: Otsu alone would split the noise.
  RgbImage glass{64, 64, std::vector<uint8_t>(64 * 64 * 3)};
  for (size_t i = 0; i < glass.pixels.size(); ++i)
    glass.pixels[i] = static_cast<uint8_t>(245 + (i * 7919 % 11));
  const TissueMask mask = detect_tissue(glass);
  EXPECT_GE(mask.threshold, 20);
  EXPECT_EQ(mask.tissue_share(), 0.0);
}

class TissueOnSlide : public testing::Test {
 protected:
  void SetUp() override {
    options_.width = 4096;
    options_.height = 3072;
    options_.seed = 11;
    file_ = fs::temp_directory_path() / ("pathodino_grid_" + std::to_string(getpid()) + ".svs");
    options_.flavour = SlideFlavour::aperio;
    write_synthetic_slide(options_, file_);
  }
  void TearDown() override { fs::remove(file_); }
  SyntheticSlideOptions options_;
  fs::path file_;
};

TEST_F(TissueOnSlide, MaskAndGridFollowTheLayout) {
  const OpenSlideHandle slide(file_);
  const int32_t last = slide.level_count() - 1;
  const auto [w, h] = slide.level_size(last);
  const TissueMask mask = detect_tissue(slide.read_region(0, 0, last, w, h));
  const std::vector<int64_t> layout = slide_layout(options_);
  const int64_t cols = options_.width / options_.region_size;
  const double down = slide.level_downsample(last);
  const int64_t r = static_cast<int64_t>(options_.region_size / down);
  for (size_t i = 0; i < layout.size(); ++i) {
    const int64_t x0 = static_cast<int64_t>(i) % cols * r, y0 = static_cast<int64_t>(i) / cols * r;
    int64_t inside = 0, total = 0;
    for (int64_t y = y0 + r / 8; y < y0 + r - r / 8; ++y)
      for (int64_t x = x0 + r / 8; x < x0 + r - r / 8; ++x)
        inside += mask.tissue[y * w + x], ++total;
    const double share = static_cast<double>(inside) / static_cast<double>(total);
    // Dense tissue (stroma, lymphocytes, tumour with its lumina) is covered almost entirely;
    // adipose is mostly empty fat cells, which saturation-based detectors (ours, CLAM's) see as
    // background inside, tissue on the septa.
    if (layout[i] < 0)
      EXPECT_LT(share, 0.02) << "background region " << i;
    else
      EXPECT_GT(share, layout[i] == 3 ? 0.4 : 0.9) << "region " << i << " class " << layout[i];
  }

  SlideGeometry geometry{options_.width, options_.height, 0.5, {}};
  for (int32_t l = 0; l <= last; ++l)
    geometry.level_downsample.push_back(slide.level_downsample(l));
  const TileGrid grid = tile_grid(geometry, mask, {0.5, 256, 0.6});
  EXPECT_EQ(grid.extent, 256);
  EXPECT_EQ(grid.columns, 16);
  int64_t tissue_tiles = 0, kept_in_dense_tissue = 0;
  for (size_t i = 0; i < layout.size(); ++i)
    if (layout[i] >= 0 && layout[i] != 3) tissue_tiles += 4;  // 512-px regions, 256-px tiles
  for (const TileLocation& t : grid.kept) {
    const int64_t region = t.y / options_.region_size * cols + t.x / options_.region_size;
    ASSERT_GE(layout[region], 0) << "a tile kept in background at " << t.x << "," << t.y;
    if (layout[region] != 3) ++kept_in_dense_tissue;
    EXPECT_EQ(t.level, 0);
    EXPECT_EQ(t.read_size, 256);
  }
  EXPECT_EQ(kept_in_dense_tissue, tissue_tiles) << "every tile of non-fat tissue is kept";

  // Twice the µm/px: tiles cover 512 level-0 px, read at level 1 (downsample 2) as 256 px.
  const TileGrid coarse = tile_grid(geometry, mask, {1.0, 256, 0.6});
  EXPECT_EQ(coarse.extent, 512);
  ASSERT_FALSE(coarse.kept.empty());
  EXPECT_EQ(coarse.kept.front().level, 1);
  EXPECT_EQ(coarse.kept.front().read_size, 256);
}

}  // namespace
}  // namespace pathodino::data
