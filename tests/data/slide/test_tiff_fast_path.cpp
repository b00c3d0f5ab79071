// The libtiff/libjpeg-turbo fast path against OpenSlide itself: the same regions of synthetic
// Aperio and generic slides — random positions on every level, regions crossing the right and
// bottom edges and the origin — must come out pixel-identical; what the fast path cannot do
// exactly (fractional level positions, non-JPEG TIFFs, non-TIFF files) it refuses.
#include <gtest/gtest.h>
#include <tiffio.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "data/augment/resized_crop.h"
#include "data/slide/openslide_handle.h"
#include "data/slide/tiff_region_reader.h"
#include "data/synthetic/synthetic_slide.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

namespace fs = std::filesystem;

class TiffFastPath : public testing::TestWithParam<SlideFlavour> {
 protected:
  // Sides that are not multiples of the tile size: edge tiles are padded.
  static constexpr int64_t kWidth = 3000, kHeight = 2100;

  fs::path write_slide(uint64_t seed, const std::string& stem) {
    SyntheticSlideOptions o;
    o.width = kWidth;
    o.height = kHeight;
    o.region_size = 512;
    o.flavour = GetParam();
    o.stain_variation = 1;
    o.seed = seed;
    const fs::path file =
        scratch_ / (stem + (GetParam() == SlideFlavour::aperio ? ".svs" : ".tiff"));
    write_synthetic_slide(o, file);
    return file;
  }

  testing_support::ScratchDir scratch_{"fast_path"};
};

TEST_P(TiffFastPath, RegionsArePixelIdenticalToOpenSlide) {
  const fs::path file = write_slide(31, "s");
  const OpenSlideHandle slide(file);
  const TiffRegionReader fast(file, slide.level_count(), kWidth, kHeight);
  ASSERT_EQ(fast.level_count(), slide.level_count());
  std::mt19937_64 rng(5);
  int compared = 0;
  for (int32_t level = 0; level < slide.level_count(); ++level) {
    const auto [lw, lh] = slide.level_size(level);
    const auto ds = static_cast<int64_t>(std::llround(slide.level_downsample(level)));
    // Also windows fewer rows high than the decoder's copy lag (jpeg_window.cpp): 3 rows on each
    // side of a tile row boundary, a single row, two rows of a tile's last columns.
    std::vector<std::array<int64_t, 4>> regions = {
        {0, 0, 224, 224},        {lw - 100, lh - 50, 224, 224},
        {lw - 224, 0, 224, 300}, {30, 253, 224, 6},
        {100, 10, 224, 1},       {250, 250, 13, 2}};
    for (int i = 0; i < 12; ++i)
      regions.push_back({static_cast<int64_t>(rng() % static_cast<uint64_t>(lw)),
                         static_cast<int64_t>(rng() % static_cast<uint64_t>(lh)), 224, 160});
    for (const auto& [lx, ly, w, h] : regions) {
      if (std::abs(slide.level_downsample(level) - static_cast<double>(ds)) > 1e-9) continue;
      const RgbImage expected = slide.read_region(lx * ds, ly * ds, level, w, h);
      const RgbImage got = fast.read_region(lx * ds, ly * ds, level, w, h);
      ASSERT_EQ(got.pixels, expected.pixels)
          << "level " << level << " at (" << lx << ", " << ly << ") " << w << "x" << h;
      ++compared;
    }
  }
  EXPECT_GE(compared, 18 * 2);
}

// Decoding at 1/2, 1/4 and 1/8 (DCT scaling) against decoding whole and averaging each r × r
// block down (the resampler's area filter): the same picture within a few grey levels on average.
// What the scaled decode cannot do (a position, size or tile that r does not divide, a region past
// the level's edge, another r) is refused.
TEST_P(TiffFastPath, ScaledDecodeIsCloseToTheAreaAverageOfTheFullDecode) {
  const fs::path file = write_slide(32, "r");
  const OpenSlideHandle slide(file);
  const TiffRegionReader fast(file, slide.level_count(), kWidth, kHeight);
  double worst_mean = 0;
  for (const int r : {2, 4, 8})
    for (const auto& [x, y] : {std::pair<int64_t, int64_t>{0, 0}, {264, 400}, {1032, 40}}) {
      const int64_t size = 224 * r > 1600 ? 1600 : 224 * r;
      const RgbImage scaled = fast.read_region(x, y, 0, size, size, r);
      ASSERT_EQ(scaled.width, size / r);
      const FloatImage averaged =
          crop_and_resize(fast.read_region(x, y, 0, size, size), {0, 0, size, size}, size / r);
      double total = 0;
      std::vector<double> diffs;
      for (int64_t i = 0; i < scaled.width * scaled.height; ++i)
        for (int c = 0; c < 3; ++c) {
          const double d = std::abs(scaled.pixels[i * 3 + c] - 255.0 * averaged.plane(c)[i]);
          diffs.push_back(d);
          total += d;
        }
      std::sort(diffs.begin(), diffs.end());
      const double mean = total / static_cast<double>(diffs.size());
      const double p99 = diffs[diffs.size() * 99 / 100];
      std::printf("1/%d at (%lld, %lld): mean |diff| %.2f grey levels, 99th percentile %.1f\n", r,
                  static_cast<long long>(x), static_cast<long long>(y), mean, p99);
      // The scaled transform keeps more of an edge's contrast than a box average (and rings a
      // little): texture edges differ by up to ~15 levels, the mean by about 2.
      EXPECT_LE(mean, 2.5) << "1/" << r;
      EXPECT_LE(p99, 18.0) << "1/" << r;
      worst_mean = std::max(worst_mean, mean);
    }
  EXPECT_GT(worst_mean, 0.0);  // it is another decode, not the same pixels
  EXPECT_THROW(fast.read_region(4, 0, 0, 448, 448, 8), FastPathUnsupported);     // position
  EXPECT_THROW(fast.read_region(0, 0, 0, 450, 448, 4), FastPathUnsupported);     // size
  EXPECT_THROW(fast.read_region(2800, 0, 0, 448, 448, 2), FastPathUnsupported);  // past the edge
  EXPECT_THROW(fast.read_region(0, 0, 0, 448, 448, 3), FastPathUnsupported);     // not 2, 4, 8
}

INSTANTIATE_TEST_SUITE_P(BothFlavours, TiffFastPath,
                         testing::Values(SlideFlavour::aperio, SlideFlavour::generic));

TEST(TiffFastPathRefusals, WhatItCannotReadExactlyIsRefused) {
  testing_support::ScratchDir scratch("fast_path_refusals");
  SyntheticSlideOptions o;
  o.width = 1536;
  o.height = 1024;
  write_synthetic_slide(o, scratch / "s.tiff");
  const TiffRegionReader fast(scratch / "s.tiff", 2, 1536, 1024);
  EXPECT_THROW(fast.read_region(3, 0, 1, 64, 64), FastPathUnsupported);  // 1.5 px on level 1
  {
    // Damaged tile data is an error, never pixels libjpeg papered over (OpenSlide then decides).
    fs::copy_file(scratch / "s.tiff", scratch / "damaged.tiff");
    std::fstream f(scratch / "damaged.tiff", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(scratch / "s.tiff") / 10));
    for (int i = 0; i < 20000; ++i) f.put(static_cast<char>((i * 7919) & 0xFF));
    f.close();
    const TiffRegionReader damaged(scratch / "damaged.tiff", 2, 1536, 1024);
    int errors = 0;
    for (int64_t y = 0; y < 1024; y += 256)
      for (int64_t x = 0; x < 1536; x += 256) try {
          damaged.read_region(x, y, 0, 256, 256);
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("damaged.tiff: "), std::string::npos);
          ++errors;
        }
    EXPECT_GE(errors, 1);
  }
  EXPECT_THROW(TiffRegionReader(scratch / "s.tiff", 3, 1536, 1024), FastPathUnsupported);
  std::ofstream(scratch / "text.svs") << "not a tiff";
  EXPECT_THROW(TiffRegionReader(scratch / "text.svs", 1, 10, 10), FastPathUnsupported);
  // An LZW-compressed tiled TIFF: OpenSlide reads it, the fast path declines.
  TIFF* tiff = TIFFOpen((scratch / "lzw.tiff").c_str(), "w");
  TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, 256);
  TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, 256);
  TIFFSetField(tiff, TIFFTAG_TILEWIDTH, 256);
  TIFFSetField(tiff, TIFFTAG_TILELENGTH, 256);
  TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 3);
  TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
  TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
  std::vector<uint8_t> pixels(256 * 256 * 3, 200);
  TIFFWriteEncodedTile(tiff, 0, pixels.data(), static_cast<tmsize_t>(pixels.size()));
  TIFFClose(tiff);
  try {
    TiffRegionReader(scratch / "lzw.tiff", 1, 256, 256);
    ADD_FAILURE() << "an LZW TIFF was accepted";
  } catch (const FastPathUnsupported& e) {
    EXPECT_NE(std::string(e.what()).find("lzw.tiff: no fast path: a level is not JPEG-compressed"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pathodino::data
