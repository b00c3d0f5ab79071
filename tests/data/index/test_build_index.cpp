// Indexing a slide collection with the bad slides real archives contain: good Aperio and generic
// slides are indexed; a slide without µm/px, a zero-byte file, random bytes, a truncated slide, a
// slide in a compression OpenSlide cannot decode, a slide whose mask level has corrupt tiles and a
// manifest row pointing to a missing file are skipped, each with its own reason; the index reads
// back with the manifest's group labels.
#include <gtest/gtest.h>
#include <tiffio.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <string>

#include "data/image_file/image_file.h"
#include "data/index/build_index.h"
#include "data/index/qa_thumbnail.h"
#include "data/index/tile_index.h"
#include "data/slide/openslide_handle.h"
#include "data/synthetic/synthetic_slide.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

// Rewrites the Compression tag of every directory of a little-endian classic TIFF in place: a slide
// in a compression OpenSlide cannot decode (34712 = JPEG 2000 in a generic TIFF).
void set_compression_tag(const fs::path& file, uint16_t compression) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  const auto read_u16 = [&](std::streamoff at) {
    uint16_t v = 0;
    f.seekg(at);
    f.read(reinterpret_cast<char*>(&v), 2);
    return v;
  };
  const auto read_u32 = [&](std::streamoff at) {
    uint32_t v = 0;
    f.seekg(at);
    f.read(reinterpret_cast<char*>(&v), 4);
    return v;
  };
  for (uint32_t ifd = read_u32(4); ifd != 0;) {
    const uint16_t entries = read_u16(ifd);
    for (uint16_t e = 0; e < entries; ++e)
      if (read_u16(ifd + 2 + 12 * e) == 259) {
        f.seekp(ifd + 2 + 12 * e + 8);
        f.write(reinterpret_cast<const char*>(&compression), 2);
      }
    ifd = read_u32(ifd + 2 + 12 * entries);
  }
}

// Overwrites the JPEG data (after each SOI) of every tile of the last directory: the level the
// tissue mask is read from.
void corrupt_smallest_level(const fs::path& file) {
  std::vector<std::pair<uint64_t, uint64_t>> tiles;
  {
    TIFF* tiff = TIFFOpen(file.c_str(), "r");
    while (TIFFReadDirectory(tiff)) {
    }
    uint64_t *offsets = nullptr, *sizes = nullptr;
    TIFFGetField(tiff, TIFFTAG_TILEOFFSETS, &offsets);
    TIFFGetField(tiff, TIFFTAG_TILEBYTECOUNTS, &sizes);
    for (uint32_t t = 0; t < TIFFNumberOfTiles(tiff); ++t) tiles.emplace_back(offsets[t], sizes[t]);
    TIFFClose(tiff);
  }
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  for (const auto& [offset, size] : tiles) {
    f.seekp(static_cast<std::streamoff>(offset + 2));
    for (uint64_t i = 2; i < size; ++i) f.put(static_cast<char>((i * 37) & 0xFF));
  }
}

class BuildIndex : public testing::Test {
 protected:
  void SetUp() override {
    SyntheticSlideOptions o;
    o.width = 2048;
    o.height = 1536;
    o.seed = 1;
    o.flavour = SlideFlavour::aperio;
    write_synthetic_slide(o, dir_ / "good_aperio.svs");
    o.seed = 2;
    o.flavour = SlideFlavour::generic;
    write_synthetic_slide(o, dir_ / "good_generic.tiff");
    o.seed = 3;
    o.resolution_tags = false;
    write_synthetic_slide(o, dir_ / "no_mpp.tiff");
    std::ofstream(dir_ / "empty.svs").close();
    {
      std::ofstream noise(dir_ / "noise.svs", std::ios::binary);
      std::mt19937 rng(2);
      for (int i = 0; i < 50000; ++i) noise.put(static_cast<char>(rng()));
    }
    fs::copy_file(dir_ / "good_generic.tiff", dir_ / "truncated.tiff");
    fs::resize_file(dir_ / "truncated.tiff", fs::file_size(dir_ / "good_generic.tiff") / 4);
    fs::copy_file(dir_ / "good_generic.tiff", dir_ / "jpeg2000.tiff");
    set_compression_tag(dir_ / "jpeg2000.tiff", 34712);
    fs::copy_file(dir_ / "good_aperio.svs", dir_ / "corrupt_tiles.svs");
    corrupt_smallest_level(dir_ / "corrupt_tiles.svs");
    std::ofstream manifest(dir_ / "manifest.csv");
    manifest << "path,site,patient\n";
    for (const char* name :
         {"good_aperio.svs", "good_generic.tiff", "no_mpp.tiff", "empty.svs", "noise.svs",
          "truncated.tiff", "missing.svs", "jpeg2000.tiff", "corrupt_tiles.svs"})
      manifest << name << "," << (name[0] == 'g' ? "A" : "B") << ",p-" << name << "\n";
  }
  testing_support::ScratchDir scratch_{"build"};
  const fs::path& dir_ = scratch_.path();
};

const SlideOutcome& outcome(const IndexBuildReport& report, const std::string& name) {
  for (const auto& s : report.slides)
    if (fs::path(s.path).filename() == name) return s;
  throw std::runtime_error("no outcome for " + name);
}

TEST_F(BuildIndex, GoodSlidesIndexedBadOnesSkippedWithReasons) {
  const auto slides = list_slides((dir_ / "manifest.csv").string());
  ASSERT_EQ(slides.size(), 9u);
  EXPECT_EQ(slides[0].groups.at("site"), "A");
  IndexBuildOptions options;
  options.threads = 2;
  options.tile_size = 256;
  options.qa_dir = dir_ / "qa";
  const IndexBuildReport report = build_index(slides, options, dir_ / "tiles.pdidx");

  EXPECT_TRUE(outcome(report, "good_aperio.svs").ok);
  EXPECT_EQ(outcome(report, "good_aperio.svs").mpp_source, "openslide.mpp");
  EXPECT_TRUE(outcome(report, "good_generic.tiff").ok);
  EXPECT_EQ(outcome(report, "good_generic.tiff").mpp_source, "tiff resolution");
  EXPECT_GT(outcome(report, "good_aperio.svs").tiles, 10);
  const auto reason = [&](const std::string& name) { return outcome(report, name).reason; };
  EXPECT_FALSE(outcome(report, "no_mpp.tiff").ok);
  EXPECT_NE(reason("no_mpp.tiff").find("no µm/px"), std::string::npos) << reason("no_mpp.tiff");
  EXPECT_NE(reason("empty.svs").find("not a slide format OpenSlide knows"), std::string::npos);
  EXPECT_NE(reason("noise.svs").find("not a slide format OpenSlide knows"), std::string::npos);
  EXPECT_FALSE(outcome(report, "truncated.tiff").ok) << "a slide cut to a quarter";
  EXPECT_NE(reason("truncated.tiff").find("truncated.tiff: "), std::string::npos);
  EXPECT_NE(reason("missing.svs").find("missing.svs: no such file"), std::string::npos);
  EXPECT_NE(reason("jpeg2000.tiff")
                .find("jpeg2000.tiff: OpenSlide failed to open: Unsupported TIFF "
                      "compression: 34712"),
            std::string::npos)
      << reason("jpeg2000.tiff");
  EXPECT_NE(
      reason("corrupt_tiles.svs").find("corrupt_tiles.svs: OpenSlide failed to read a region"),
      std::string::npos)
      << reason("corrupt_tiles.svs");
  EXPECT_EQ(report.skipped(), 7);

  // A QA picture per indexed slide: the smallest level, with the mask border and every kept tile
  // drawn in their colours; none for skipped slides.
  for (const auto& s : report.slides) {
    if (!s.ok) {
      EXPECT_TRUE(s.qa_picture.empty()) << s.path;
      continue;
    }
    ASSERT_TRUE(fs::exists(s.qa_picture)) << s.path;
    const RgbImage picture = read_image_file(s.qa_picture);
    const OpenSlideHandle slide(s.path);
    EXPECT_EQ(picture.width, slide.level_size(slide.level_count() - 1).first);
    int64_t outline = 0, border = 0;
    const uint8_t* yellow = qa_grid_colour(0);
    for (size_t i = 0; i < picture.pixels.size(); i += 3) {
      outline += std::equal(yellow, yellow + 3, &picture.pixels[i]);
      border +=
          picture.pixels[i] == 0 && picture.pixels[i + 1] == 200 && picture.pixels[i + 2] == 0;
    }
    EXPECT_GT(outline, s.tiles * 8) << s.path;  // each kept tile's outline
    EXPECT_GT(border, 100) << s.path;
  }

  const TileIndex index(dir_ / "tiles.pdidx");
  EXPECT_EQ(index.size(), report.tiles);
  ASSERT_EQ(index.slides().size(), 2u);
  EXPECT_EQ(index.slides()[0].groups.at("patient"), "p-good_aperio.svs");
  EXPECT_EQ(index.slides()[1].groups.at("site"), "A");
  EXPECT_EQ(index.slides()[0].tiles + index.slides()[1].tiles, index.size());
  EXPECT_EQ(index.slides()[0].content_hash.size(), 16u);
  for (int64_t i = 0; i < index.size(); ++i) {
    const IndexedTile& t = index.tile(i);
    const IndexedGrid& g = index.grids().at(t.grid);
    const IndexedSlide& s = index.slides().at(g.slide);
    ASSERT_LE(t.x + g.extent, static_cast<uint64_t>(s.width));
    ASSERT_GE(t.tissue, static_cast<uint16_t>(0.6 * 65535));
  }
}

TEST_F(BuildIndex, FallbackMppRescuesSlidesWithoutScaleAndFoldersAndGlobsList) {
  IndexBuildOptions options;
  options.fallback_mpp = 0.5;
  options.tile_size = 256;
  const IndexBuildReport report =
      build_index({{(dir_ / "no_mpp.tiff").string(), {}}}, options, dir_ / "one.pdidx");
  ASSERT_TRUE(report.slides[0].ok) << report.slides[0].reason;
  EXPECT_EQ(report.slides[0].mpp_source, "config");
  EXPECT_EQ(list_slides(dir_.string()).size(), 8u);  // every slide-like file in the folder
  EXPECT_EQ(list_slides((dir_ / "good_*").string()).size(), 2u);
  EXPECT_THROW(list_slides((dir_ / "nothing_*").string()), std::runtime_error);
}

TEST(BuildIndexChunked, ASlideWithoutPyramidGetsItsMaskFromChunks) {
  // The same slide written with and without a pyramid: the single-level one's mask comes from a
  // thumbnail averaged chunk by chunk, and the kept tiles agree with the pyramidal one's.
  testing_support::ScratchDir scratch("chunked");
  SyntheticSlideOptions o;
  o.width = 3072;
  o.height = 2048;
  o.seed = 9;
  write_synthetic_slide(o, scratch / "pyramid.tiff");
  o.pyramid = false;
  write_synthetic_slide(o, scratch / "flat.tiff");
  ASSERT_EQ(OpenSlideHandle(scratch / "flat.tiff").level_count(), 1);
  IndexBuildOptions options;
  options.max_mask_side = 1024;  // the flat slide's only level is 3072 px: chunked, f = 3
  options.qa_dir = scratch / "qa";
  const IndexBuildReport report = build_index(
      {{(scratch / "pyramid.tiff").string(), {}}, {(scratch / "flat.tiff").string(), {}}}, options,
      scratch / "both.pdidx");
  ASSERT_TRUE(report.slides[0].ok) << report.slides[0].reason;
  ASSERT_TRUE(report.slides[1].ok) << report.slides[1].reason;
  EXPECT_EQ(read_image_file(report.slides[1].qa_picture).width, 1024);
  const TileIndex index(scratch / "both.pdidx");
  std::set<std::pair<uint32_t, uint32_t>> tiles[2];
  for (int64_t i = 0; i < index.size(); ++i) {
    const IndexedTile& t = index.tile(i);
    tiles[index.grids()[t.grid].slide].emplace(t.x, t.y);
  }
  ASSERT_GT(tiles[0].size(), 20u);
  size_t common = 0;
  for (const auto& xy : tiles[1]) common += tiles[0].count(xy);
  const size_t either = tiles[0].size() + tiles[1].size() - common;
  std::cout << "pyramid " << tiles[0].size() << " tiles, chunked " << tiles[1].size() << ", "
            << common << " in common\n";
  EXPECT_GE(static_cast<double>(common) / static_cast<double>(either), 0.9)
      << tiles[0].size() << " vs " << tiles[1].size() << " tiles, " << common << " in common";
}

}  // namespace
}  // namespace pathodino::data
