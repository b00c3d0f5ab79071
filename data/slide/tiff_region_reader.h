// TiffRegionReader: the fast path for TIFF-family slides (Aperio SVS, generic tiled TIFF) whose
// pyramid levels are JPEG tiles in YCbCr — of each tile's raw JPEG stream (with the level's shared
// JPEGTables) only the window the region needs is decoded, by libjpeg-turbo straight to RGB
// (data/slide/jpeg_window), instead of OpenSlide's whole-tile decode → ARGB → cairo compositing.
// Pixel-identical to OpenSlide's RGB (un-premultiplied on white) for regions at whole pixel
// positions of the level; everything else (other compressions, RGB-photometric JPEG, fractional
// level positions) is refused with FastPathUnsupported so the caller uses OpenSlide. Thread-safe:
// raw tile bytes are read under a lock, decoding runs unlocked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "data/rgb_image.h"

struct tiff;  // libtiff's TIFF

namespace pathodino::data {

class FastPathUnsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TiffRegionReader {
 public:
  // Throws FastPathUnsupported (the file is not such a TIFF, or its levels differ from
  // `expected_levels` as OpenSlide reported them at indexing time).
  TiffRegionReader(const std::filesystem::path& file, int32_t expected_levels,
                   int64_t expected_width, int64_t expected_height);
  ~TiffRegionReader();
  TiffRegionReader(const TiffRegionReader&) = delete;
  TiffRegionReader& operator=(const TiffRegionReader&) = delete;

  int32_t level_count() const { return static_cast<int32_t>(levels_.size()); }
  // As OpenSlideHandle::read_region: top-left (x, y) in level-0 pixels. Throws
  // FastPathUnsupported for a fractional level position, std::runtime_error on a damaged tile.
  // `reduce` 2, 4 or 8 returns the region at that fraction of its size, decoded so by libjpeg's
  // DCT scaling (data/slide/jpeg_window.h): for regions inside the level whose position, size
  // and the level's tiles divide by it; others throw FastPathUnsupported.
  RgbImage read_region(int64_t x, int64_t y, int32_t level, int64_t width, int64_t height,
                       int reduce = 1) const;

 private:
  struct Level {
    uint16_t directory = 0;
    int64_t width = 0, height = 0, tile_width = 0, tile_height = 0;
    double downsample = 1;
    std::vector<uint8_t> jpeg_tables;  // SOI, tables, EOI
  };
  // The current directory as a level; throws FastPathUnsupported for what the path cannot read.
  static Level read_level(struct tiff* tiff, const std::filesystem::path& file);
  std::vector<uint8_t> raw_tile(const Level& level, int64_t column, int64_t row) const;
  // Level-0 (x, y) as whole pixels of the level; throws FastPathUnsupported for a fraction.
  std::pair<int64_t, int64_t> level_position(const Level& level, int32_t index, int64_t x,
                                             int64_t y) const;
  // Throws FastPathUnsupported unless the region can be decoded at 1/r (r = 1: always).
  void check_reduction(const Level& level, int64_t lx, int64_t ly, int64_t width, int64_t height,
                       int64_t r) const;

  std::filesystem::path file_;
  tiff* tiff_ = nullptr;
  std::vector<Level> levels_;
  mutable std::mutex mutex_;  // libtiff handles are not thread-safe
};

}  // namespace pathodino::data
