#include "data/slide/tiff_region_reader.h"

#include <tiffio.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "data/slide/jpeg_window.h"

namespace pathodino::data {
namespace {

void silence_libtiff() {
  TIFFSetWarningHandler(nullptr);
  TIFFSetErrorHandler(nullptr);
}

}  // namespace

TiffRegionReader::Level TiffRegionReader::read_level(TIFF* tiff,
                                                     const std::filesystem::path& file) {
  const auto refuse = [&](const std::string& why) {
    throw FastPathUnsupported(file.string() + ": no fast path: " + why);
  };
  uint32_t w = 0, h = 0, tw = 0, th = 0;
  uint16_t compression = 0, photometric = 0, samples = 0, bits = 0, planar = 0;
  TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &h);
  TIFFGetField(tiff, TIFFTAG_TILEWIDTH, &tw);
  TIFFGetField(tiff, TIFFTAG_TILELENGTH, &th);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_COMPRESSION, &compression);
  TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &photometric);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_PLANARCONFIG, &planar);
  if (compression != COMPRESSION_JPEG) refuse("a level is not JPEG-compressed");
  if (photometric != PHOTOMETRIC_YCBCR) refuse("a level's JPEG is not YCbCr");
  if (samples != 3 || bits != 8 || planar != PLANARCONFIG_CONTIG)
    refuse("a level is not 8-bit 3-sample contiguous");
  Level level;
  level.directory = static_cast<uint16_t>(TIFFCurrentDirectory(tiff));
  level.width = w;
  level.height = h;
  level.tile_width = tw;
  level.tile_height = th;
  uint32_t table_bytes = 0;
  void* tables = nullptr;
  if (TIFFGetField(tiff, TIFFTAG_JPEGTABLES, &table_bytes, &tables) && table_bytes >= 4)
    level.jpeg_tables.assign(static_cast<uint8_t*>(tables),
                             static_cast<uint8_t*>(tables) + table_bytes);
  return level;
}

TiffRegionReader::TiffRegionReader(const std::filesystem::path& file, int32_t expected_levels,
                                   int64_t expected_width, int64_t expected_height)
    : file_(file) {
  static std::once_flag once;
  std::call_once(once, silence_libtiff);  // errors reach the caller as exceptions instead
  tiff_ = TIFFOpen(file.c_str(), "rm");   // m: no memory-mapping, reads stay plain preads
  if (!tiff_) throw FastPathUnsupported(file.string() + ": not a TIFF libtiff opens");
  try {
    do {
      if (TIFFIsTiled(tiff_)) levels_.push_back(read_level(tiff_, file));
      // Untiled directories (label, macro, thumbnail strips) are not levels.
    } while (TIFFReadDirectory(tiff_));
    // OpenSlide orders levels by size, largest first; its downsample averages the two axes.
    std::stable_sort(levels_.begin(), levels_.end(),
                     [](const Level& a, const Level& b) { return a.width > b.width; });
    if (static_cast<int32_t>(levels_.size()) != expected_levels || levels_.empty() ||
        levels_[0].width != expected_width || levels_[0].height != expected_height)
      throw FastPathUnsupported(file.string() +
                                ": no fast path: its tiled directories do not match the "
                                "slide's levels");
    for (Level& level : levels_)
      level.downsample =
          (static_cast<double>(levels_[0].width) / static_cast<double>(level.width) +
           static_cast<double>(levels_[0].height) / static_cast<double>(level.height)) /
          2.0;
  } catch (...) {
    TIFFClose(tiff_);
    throw;
  }
}

TiffRegionReader::~TiffRegionReader() { TIFFClose(tiff_); }

std::vector<uint8_t> TiffRegionReader::raw_tile(const Level& level, int64_t column,
                                                int64_t row) const {
  std::lock_guard lock(mutex_);
  if (TIFFCurrentDirectory(tiff_) != level.directory && !TIFFSetDirectory(tiff_, level.directory))
    throw std::runtime_error(file_.string() + ": cannot select TIFF directory " +
                             std::to_string(level.directory));
  const uint32_t tile = TIFFComputeTile(tiff_, static_cast<uint32_t>(column * level.tile_width),
                                        static_cast<uint32_t>(row * level.tile_height), 0, 0);
  uint64_t* sizes = nullptr;
  if (!TIFFGetField(tiff_, TIFFTAG_TILEBYTECOUNTS, &sizes) || !sizes)
    throw std::runtime_error(file_.string() + ": no tile byte counts");
  const uint64_t size = sizes[tile];
  if (size < 4)
    throw std::runtime_error(file_.string() + ": tile " + std::to_string(tile) + " is too short");
  // Abbreviated stream: the level's tables (without their EOI), then the tile (without its SOI).
  // The tile is read so that its SOI lands on the tables' last two bytes, which are copied in
  // afterwards, so the tile is never moved two bytes back in memory.
  const size_t tables = level.jpeg_tables.size() >= 4 ? level.jpeg_tables.size() - 2 : 0;
  const size_t soi_at = tables > 0 ? tables - 2 : 0;
  std::vector<uint8_t> stream(soi_at + size);
  const tmsize_t got =
      TIFFReadRawTile(tiff_, tile, stream.data() + soi_at, static_cast<tmsize_t>(size));
  if (got != static_cast<tmsize_t>(size))
    throw std::runtime_error(file_.string() + ": cannot read tile " + std::to_string(tile));
  if (stream[soi_at] != 0xFF || stream[soi_at + 1] != 0xD8)
    throw std::runtime_error(file_.string() + ": tile " + std::to_string(tile) +
                             " does not start a JPEG stream");
  if (tables > 0) std::memcpy(stream.data(), level.jpeg_tables.data(), tables);
  return stream;
}

std::pair<int64_t, int64_t> TiffRegionReader::level_position(const Level& level, int32_t index,
                                                             int64_t x, int64_t y) const {
  const double fx = static_cast<double>(x) / level.downsample;
  const double fy = static_cast<double>(y) / level.downsample;
  const int64_t lx = std::llround(fx), ly = std::llround(fy);
  if (std::abs(fx - static_cast<double>(lx)) > 1e-6 ||
      std::abs(fy - static_cast<double>(ly)) > 1e-6)
    throw FastPathUnsupported(file_.string() + ": a fractional position on level " +
                              std::to_string(index));
  return {lx, ly};
}

void TiffRegionReader::check_reduction(const Level& level, int64_t lx, int64_t ly, int64_t width,
                                       int64_t height, int64_t r) const {
  if (r == 1) return;
  const bool divides = lx % r == 0 && ly % r == 0 && width % r == 0 && height % r == 0 &&
                       level.tile_width % r == 0 && level.tile_height % r == 0;
  const bool inside =
      lx >= 0 && ly >= 0 && lx + width <= level.width && ly + height <= level.height;
  if (!(r == 2 || r == 4 || r == 8) || !divides || !inside)
    throw FastPathUnsupported(file_.string() + ": no decode at 1/" + std::to_string(r) +
                              " for this region");
}

RgbImage TiffRegionReader::read_region(int64_t x, int64_t y, int32_t level_index, int64_t width,
                                       int64_t height, int reduce) const {
  if (level_index < 0 || level_index >= level_count())
    throw FastPathUnsupported(file_.string() + ": no level " + std::to_string(level_index));
  const Level& level = levels_[static_cast<size_t>(level_index)];
  const auto [lx, ly] = level_position(level, level_index, x, y);
  const int64_t r = reduce;
  check_reduction(level, lx, ly, width, height, r);
  RgbImage out;
  out.width = width / r;
  out.height = height / r;
  out.pixels.assign(static_cast<size_t>(out.width * out.height * 3), uint8_t{255});  // outside
  const int64_t x_end = std::min(lx + width, level.width),
                y_end = std::min(ly + height, level.height);
  for (int64_t row = std::max<int64_t>(ly, 0) / level.tile_height; row * level.tile_height < y_end;
       ++row)
    for (int64_t col = std::max<int64_t>(lx, 0) / level.tile_width; col * level.tile_width < x_end;
         ++col) {
      // The overlap of the tile and the region, clipped to the level (OpenSlide shows the padding
      // of edge tiles as transparent, i.e. white here), decoded straight into the region; with
      // `reduce`, every bound divides by it and the window is in the scaled tile's pixels.
      const int64_t tx0 = col * level.tile_width, ty0 = row * level.tile_height;
      const int64_t x0 = std::max(lx, tx0), x1 = std::min(x_end, tx0 + level.tile_width);
      const int64_t y0 = std::max(ly, ty0), y1 = std::min(y_end, ty0 + level.tile_height);
      const std::string error = decode_jpeg_window(
          raw_tile(level, col, row), (x0 - tx0) / r, (y0 - ty0) / r, (x1 - x0) / r, (y1 - y0) / r,
          &out.pixels[static_cast<size_t>(((y0 - ly) / r * out.width + (x0 - lx) / r) * 3)],
          static_cast<size_t>(out.width * 3), reduce);
      if (!error.empty())
        throw std::runtime_error(file_.string() + ": JPEG tile (" + std::to_string(col) + ", " +
                                 std::to_string(row) + ") of level " + std::to_string(level_index) +
                                 ": " + error);
    }
  return out;
}

}  // namespace pathodino::data
