#include "data/synthetic/synthetic_slide.h"

#include <tiffio.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "data/seed_mix.h"
#include "data/synthetic/stain_variation.h"
#include "data/synthetic/tissue_renderer.h"

namespace pathodino::data {
namespace {

struct TiffCloser {
  void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};

// 2×2 box filter: the next pyramid level.
RgbImage halve(const RgbImage& in) {
  RgbImage out;
  out.width = std::max<int64_t>(1, in.width / 2);
  out.height = std::max<int64_t>(1, in.height / 2);
  out.pixels.resize(out.width * out.height * 3);
  for (int64_t y = 0; y < out.height; ++y)
    for (int64_t x = 0; x < out.width; ++x)
      for (int c = 0; c < 3; ++c) {
        const auto at = [&](int64_t yy, int64_t xx) {
          return static_cast<int>(
              in.pixels[(std::min(yy, in.height - 1) * in.width + std::min(xx, in.width - 1)) * 3 +
                        c]);
        };
        const int sum = at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) +
                        at(2 * y + 1, 2 * x + 1);
        out.pixels[(y * out.width + x) * 3 + c] = static_cast<uint8_t>((sum + 2) / 4);
      }
  return out;
}

void check(int ok, const char* what, const std::filesystem::path& file) {
  if (ok != 1) throw std::runtime_error(file.string() + ": libtiff failed to " + what);
}

void write_level(TIFF* tiff, const RgbImage& level, const SyntheticSlideOptions& o,
                 const std::filesystem::path& file, const std::string& description) {
  const auto t = static_cast<uint32_t>(o.tile_size);
  // Levels after the first are marked reduced-resolution: OpenSlide's generic-tiff driver only
  // takes those as pyramid levels.
  if (level.width != o.width) TIFFSetField(tiff, TIFFTAG_SUBFILETYPE, FILETYPE_REDUCEDIMAGE);
  TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(level.width));
  TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(level.height));
  TIFFSetField(tiff, TIFFTAG_TILEWIDTH, t);
  TIFFSetField(tiff, TIFFTAG_TILELENGTH, t);
  TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, 8);
  TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, 3);
  TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tiff, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
  TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
  TIFFSetField(tiff, TIFFTAG_YCBCRSUBSAMPLING, 2, 2);
  TIFFSetField(tiff, TIFFTAG_JPEGQUALITY, o.jpeg_quality);
  TIFFSetField(tiff, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);  // libtiff converts RGB → YCbCr
  const double scale = static_cast<double>(o.width) / static_cast<double>(level.width);
  const float pixels_per_cm = static_cast<float>(10000.0 / (o.mpp * scale));
  if (o.resolution_tags) {
    TIFFSetField(tiff, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER);
    TIFFSetField(tiff, TIFFTAG_XRESOLUTION, pixels_per_cm);
    TIFFSetField(tiff, TIFFTAG_YRESOLUTION, pixels_per_cm);
  }
  if (!description.empty()) TIFFSetField(tiff, TIFFTAG_IMAGEDESCRIPTION, description.c_str());
  std::vector<uint8_t> tile(t * t * 3);
  for (int64_t y0 = 0; y0 < level.height; y0 += t)
    for (int64_t x0 = 0; x0 < level.width; x0 += t) {
      std::fill(tile.begin(), tile.end(), uint8_t{255});  // edge tiles: white padding
      for (int64_t y = 0; y < t && y0 + y < level.height; ++y) {
        const int64_t n = std::min<int64_t>(t, level.width - x0);
        std::copy_n(&level.pixels[((y0 + y) * level.width + x0) * 3], n * 3, &tile[y * t * 3]);
      }
      if (TIFFWriteTile(tiff, tile.data(), static_cast<uint32_t>(x0), static_cast<uint32_t>(y0), 0,
                        0) < 0)
        throw std::runtime_error(file.string() + ": libtiff failed to write a tile");
    }
  check(TIFFWriteDirectory(tiff), "write a directory", file);
}

// The classes' cumulative shares in [0, 1]; empty for equal shares.
std::vector<double> cumulative_shares(const SyntheticSlideOptions& o) {
  if (o.class_weights.empty()) return {};
  double total = 0;
  for (const double w : o.class_weights) total += w >= 0 ? w : -1e300;
  if (static_cast<int64_t>(o.class_weights.size()) != o.num_classes || !(total > 0))
    throw std::invalid_argument("synthetic slide: class weights must be " +
                                std::to_string(o.num_classes) +
                                " values >= 0 with a positive sum, one per class");
  std::vector<double> cumulative;
  double running = 0;
  for (const double w : o.class_weights) cumulative.push_back((running += w) / total);
  return cumulative;
}

}  // namespace

std::vector<int64_t> slide_layout(const SyntheticSlideOptions& o) {
  const int64_t cols = (o.width + o.region_size - 1) / o.region_size;
  const int64_t rows = (o.height + o.region_size - 1) / o.region_size;
  std::mt19937_64 rng(mix_seed({o.seed, 0x51de}));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const std::vector<double> cumulative = cumulative_shares(o);
  std::vector<int64_t> layout(cols * rows);
  for (auto& region : layout) {
    if (uniform(rng) < o.background_share) {
      region = -1;
      continue;
    }
    const double u = uniform(rng);
    if (cumulative.empty()) {
      region = static_cast<int64_t>(u * static_cast<double>(o.num_classes)) % o.num_classes;
    } else {
      const auto at = std::upper_bound(cumulative.begin(), cumulative.end(), u);
      region = std::min<int64_t>(at - cumulative.begin(), o.num_classes - 1);
    }
  }
  return layout;
}

RgbImage render_slide(const SyntheticSlideOptions& o) {
  if (o.region_size <= 0 || o.region_size % o.tile_size != 0 || o.width <= 0 || o.height <= 0)
    throw std::invalid_argument(
        "synthetic slide: region_size must be a positive multiple of "
        "tile_size, and the size positive");
  RgbImage slide;
  slide.width = o.width;
  slide.height = o.height;
  slide.pixels.assign(o.width * o.height * 3, uint8_t{255});
  const int64_t cols = (o.width + o.region_size - 1) / o.region_size;
  const std::vector<int64_t> layout = slide_layout(o);
  for (size_t i = 0; i < layout.size(); ++i) {
    if (layout[i] < 0) continue;
    const int64_t x0 = static_cast<int64_t>(i) % cols * o.region_size;
    const int64_t y0 = static_cast<int64_t>(i) / cols * o.region_size;
    const RgbImage region = render_region(o, layout[i], i);
    for (int64_t y = 0; y < o.region_size && y0 + y < o.height; ++y) {
      const int64_t n = std::min(o.region_size, o.width - x0);
      std::copy_n(&region.pixels[y * o.region_size * 3], n * 3,
                  &slide.pixels[((y0 + y) * o.width + x0) * 3]);
    }
  }
  return slide;
}

RgbImage render_region(const SyntheticSlideOptions& o, int64_t tissue, size_t region) {
  RgbImage pixels =
      render_tissue(tissue_class(tissue), o.region_size, mix_seed({o.seed, 0x7e55, region}));
  apply_stain_variation(pixels, o.stain_variation, mix_seed({o.seed, 0x57a1, region}));
  return pixels;
}

void write_synthetic_slide(const SyntheticSlideOptions& o, const std::filesystem::path& file) {
  RgbImage level = render_slide(o);
  // BigTIFF only when a classic TIFF's 4 GB could be too small.
  const bool big = o.width * o.height * 3 > (int64_t{1} << 31);
  std::unique_ptr<TIFF, TiffCloser> tiff(TIFFOpen(file.c_str(), big ? "w8" : "w"));
  if (!tiff) throw std::runtime_error(file.string() + ": cannot open for writing");
  std::string description;
  if (o.flavour == SlideFlavour::aperio) {
    char text[256];
    std::snprintf(text, sizeof(text),
                  "Aperio Image Library v10.0.50\r\n%lldx%lld [0,0 %lldx%lld] (%lldx%lld) "
                  "JPEG/RGB Q=%d|AppMag = 20|MPP = %.4f|pathodino synthetic seed = %llu",
                  static_cast<long long>(o.width), static_cast<long long>(o.height),
                  static_cast<long long>(o.width), static_cast<long long>(o.height),
                  static_cast<long long>(o.tile_size), static_cast<long long>(o.tile_size),
                  o.jpeg_quality, o.mpp, static_cast<unsigned long long>(o.seed));
    description = text;
  }
  write_level(tiff.get(), level, o, file, description);
  while (o.pyramid && std::max(level.width, level.height) > 1024) {
    level = halve(level);
    write_level(tiff.get(), level, o, file, "");
  }
}

}  // namespace pathodino::data
