// Training tiles from slides through the index: pixels equal OpenSlide's region at the indexed
// level (and its resize at a coarser target), and bad data mid-run — a slide corrupted or deleted
// after indexing — is skipped and counted with stand-in tiles, a failing slide reopened once and
// then quarantined with one warning, a slide that recovers read again.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "data/index/build_index.h"
#include "data/index/tile_index.h"
#include "data/slide/openslide_handle.h"
#include "data/source/wsi_tile_source.h"
#include "data/synthetic/synthetic_slide.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

class WsiSource : public testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      SyntheticSlideOptions o;
      o.width = 1536;
      o.height = 1024;
      o.seed = 20 + static_cast<uint64_t>(i);
      o.flavour = i == 0 ? SlideFlavour::aperio : SlideFlavour::generic;
      slides_.push_back(dir_ / (i == 0 ? "a.svs" : "g.tiff"));
      write_synthetic_slide(o, slides_.back());
    }
  }

  std::shared_ptr<const TileIndex> index(double mpp, int64_t tile_size) {
    std::vector<SlideEntry> entries;
    for (const fs::path& p : slides_) entries.push_back({p.string(), {}});
    IndexBuildOptions options;
    options.target_mpp = {mpp};
    options.tile_size = tile_size;
    const fs::path file = dir_ / ("tiles_" + std::to_string(tile_size) + ".pdidx");
    build_index(entries, options, file);
    return std::make_shared<const TileIndex>(file);
  }

  WsiReadOptions quiet_options() {
    WsiReadOptions options;
    options.pool.warn = [this](const std::string& line) {
      std::lock_guard lock(warn_mutex_);
      warnings_.push_back(line);
    };
    return options;
  }

  // Overwrites the middle of a slide's level-0 tile data with random bytes.
  void corrupt(const fs::path& file) {
    const auto size = static_cast<int64_t>(fs::file_size(file));
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    std::mt19937 rng(1);
    f.seekp(size / 20);
    for (int64_t i = size / 20; i < size / 2; ++i) f.put(static_cast<char>(rng()));
  }

  int64_t tiles_of_slide(const TileIndex& index, uint32_t slide) {
    for (int64_t i = 0; i < index.size(); ++i)
      if (index.grids()[index.tile(i).grid].slide == slide) return i;
    return -1;
  }

  testing_support::ScratchDir scratch_{"wsi_source"};
  const fs::path& dir_ = scratch_.path();
  std::vector<fs::path> slides_;
  std::mutex warn_mutex_;
  std::vector<std::string> warnings_;
};

TEST_F(WsiSource, TilesAreOpenSlideRegionsAtTheIndexedLevel) {
  // Through the TIFF fast path (both slides are JPEG TIFFs) and through OpenSlide alone.
  const auto tiles = index(0.5, 224);
  const WsiTileSource source(tiles, quiet_options());
  WsiReadOptions openslide_only = quiet_options();
  openslide_only.pool.tiff_fast_path = false;
  const WsiTileSource reference(tiles, openslide_only);
  ASSERT_GT(source.size(), 10);
  EXPECT_TRUE(source.class_names().empty());
  for (int64_t i = 0; i < source.size(); ++i)
    ASSERT_EQ(source.read(i).image.pixels, reference.read(i).image.pixels) << "tile " << i;
  EXPECT_EQ(source.fast_path_slides(), 2);
  EXPECT_EQ(reference.fast_path_slides(), 0);
  for (int64_t i : {int64_t{0}, source.size() / 2, source.size() - 1}) {
    const IndexedTile& t = tiles->tile(i);
    const IndexedGrid& g = tiles->grids()[t.grid];
    const OpenSlideHandle slide(tiles->slides()[g.slide].path);
    const RgbImage expected = slide.read_region(t.x, t.y, g.level, g.read_size, g.read_size);
    const LabelledImage got = source.read(i);
    EXPECT_EQ(got.label, -1);
    EXPECT_EQ(got.image.width, 224);
    EXPECT_EQ(got.image.pixels, expected.pixels) << "tile " << i;
  }
  EXPECT_EQ(source.health().skipped_reads, 0);
}

TEST_F(WsiSource, CoarserTargetsReadAPyramidLevelAndComeOutAtTileSize) {
  // 1.0 µm/px on 0.5 µm/px slides: level 1 (downsample 2) holds exactly that scale.
  const auto tiles = index(1.0, 128);
  const WsiTileSource source(tiles, quiet_options());
  const IndexedGrid& g = tiles->grids()[tiles->tile(0).grid];
  EXPECT_EQ(g.level, 1);
  EXPECT_EQ(g.extent, 256);
  const LabelledImage tile = source.read(0);
  EXPECT_EQ(tile.image.width, 128);
  EXPECT_EQ(tile.image.height, 128);
}

// Slides with level 0 only: a tile at 2× or 4× level 0's µm/px is read 2× or 4× larger. With
// scaled_decode the fast path decodes it at 1/2 or 1/4 (DCT scaling) instead of decoding it whole
// and shrinking it: the same tiles within ~3 grey levels on average.
TEST_F(WsiSource, TilesFromAFinerLevelAreDecodedScaledAndCloseToTheShrunkFullDecode) {
  slides_.clear();
  for (int i = 0; i < 2; ++i) {
    SyntheticSlideOptions o;
    o.width = 1536;
    o.height = 1024;
    o.seed = 40 + static_cast<uint64_t>(i);
    o.pyramid = false;
    o.flavour = i == 0 ? SlideFlavour::aperio : SlideFlavour::generic;
    slides_.push_back(dir_ / (i == 0 ? "flat.svs" : "flat.tiff"));
    write_synthetic_slide(o, slides_.back());
  }
  for (const auto& [mpp, reduce] : {std::pair{1.0, 2}, std::pair{2.0, 4}}) {
    const auto tiles = index(mpp, 112);
    const IndexedGrid& g = tiles->grids()[tiles->tile(0).grid];
    ASSERT_EQ(g.level, 0);
    ASSERT_EQ(g.read_size, 112 * reduce);
    WsiReadOptions scaled = quiet_options(), whole = quiet_options();
    whole.scaled_decode = false;
    const WsiTileSource fast(tiles, scaled), slow(tiles, whole);
    double total = 0, count = 0;
    for (int64_t i = 0; i < std::min<int64_t>(tiles->size(), 12); ++i) {
      const LabelledImage a = fast.read(i), b = slow.read(i);
      ASSERT_EQ(a.image.width, 112);
      ASSERT_EQ(b.image.width, 112);
      for (size_t k = 0; k < a.image.pixels.size(); ++k)
        total += std::abs(static_cast<int>(a.image.pixels[k]) - b.image.pixels[k]);
      count += static_cast<double>(a.image.pixels.size());
    }
    std::printf("read 1/%d scaled against whole and shrunk: mean |diff| %.2f grey levels\n", reduce,
                total / count);
    EXPECT_LE(total / count, 3.5);  // sharper than the area average at texture edges
    EXPECT_GT(total, 0);            // the scaled decode did run
  }
}

TEST_F(WsiSource, ASlideCorruptedAfterIndexingIsSkippedCountedAndQuarantined) {
  const auto tiles = index(0.5, 224);
  const WsiTileSource source(tiles, quiet_options());
  const int64_t first_bad = tiles_of_slide(*tiles, 1);
  ASSERT_GT(first_bad, 0);
  corrupt(slides_[1]);
  std::set<std::vector<uint8_t>> good_slide_tiles;
  for (int64_t i = 0; i < first_bad; ++i) good_slide_tiles.insert(source.read(i).image.pixels);
  for (int64_t i = first_bad; i < source.size(); ++i) {
    const LabelledImage stand_in = source.read(i);  // never throws: slide 0 is readable
    EXPECT_EQ(stand_in.image.width, 224);
    EXPECT_TRUE(good_slide_tiles.count(stand_in.image.pixels)) << "tile " << i;
  }
  const SourceHealth health = source.health();
  EXPECT_GE(health.skipped_reads, 1);
  EXPECT_EQ(health.quarantined, 1);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("g.tiff: quarantined for the rest of the run"), std::string::npos)
      << warnings_[0];
  // Same stand-in for the same tile: batches stay reproducible once the slide is out.
  EXPECT_EQ(source.read(first_bad).image.pixels, source.read(first_bad).image.pixels);
}

TEST_F(WsiSource, ADeletedSlideIsQuarantinedAndAFailedReadIsRetriedOnAFreshHandle) {
  const auto tiles = index(0.5, 224);
  WsiReadOptions options = quiet_options();
  options.pool.quarantine_after = 100;  // see the recovery, not the quarantine
  const WsiTileSource source(tiles, options);
  const int64_t on_slide_1 = tiles_of_slide(*tiles, 1);
  const RgbImage before = source.read(on_slide_1).image;
  corrupt(slides_[1]);
  const WsiTileSource fresh(tiles, options);
  EXPECT_NE(fresh.read(on_slide_1).image.pixels, before.pixels);  // a stand-in
  EXPECT_GE(fresh.health().skipped_reads, 1);
  EXPECT_EQ(fresh.health().quarantined, 0);
  // The failed handle was closed: once the file is good again, the next read reopens it.
  write_synthetic_slide(
      [] {
        SyntheticSlideOptions o;
        o.width = 1536;
        o.height = 1024;
        o.seed = 21;
        return o;
      }(),
      slides_[1]);
  EXPECT_EQ(fresh.read(on_slide_1).image.pixels, before.pixels);  // recovered

  fs::remove(slides_[1]);
  WsiReadOptions strict = quiet_options();
  const WsiTileSource gone(tiles, strict);
  for (int64_t i = on_slide_1; i < on_slide_1 + 5; ++i) EXPECT_EQ(gone.read(i).image.width, 224);
  EXPECT_EQ(gone.health().quarantined, 1);
  EXPECT_NE(warnings_.back().find("g.tiff: quarantined"), std::string::npos);
}

}  // namespace
}  // namespace pathodino::data
