// Synthetic whole-slide images for tests and the demo: pyramidal, tiled, JPEG-compressed TIFFs
// with H&E-like tissue regions of several classes on a white background, written with libtiff so
// that OpenSlide reads them like scanner output —
//   generic: a plain tiled pyramid (OpenSlide vendor "generic-tiff"); µm/px only as the TIFF
//            resolution tags (OpenSlide reports no mpp: the index's fallback chain must find it);
//   aperio:  the same with an Aperio ImageDescription (vendor "aperio", openslide.mpp-x/-y).
// The layout is a grid of square regions, each background or one tissue class, drawn from the
// seed; the same options always give the same bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "data/rgb_image.h"

namespace pathodino::data {

enum class SlideFlavour { generic, aperio };

struct SyntheticSlideOptions {
  int64_t width = 4096, height = 3072;  // level 0, pixels
  int64_t tile_size = 256;
  int64_t region_size = 512;  // side of a layout region (a multiple of tile_size)
  int64_t num_classes = 4;
  // Relative share of each class among the tissue regions (num_classes values, e.g. 70, 20, 5,
  // 5, for an archive as imbalanced as real ones); empty = equal shares.
  std::vector<double> class_weights;
  double background_share = 0.3;  // share of regions left empty (white)
  double mpp = 0.5;               // µm per pixel at level 0
  int jpeg_quality = 90;
  SlideFlavour flavour = SlideFlavour::generic;
  bool resolution_tags = true;  // false: a slide without any µm/px (generic flavour)
  double stain_variation = 0;   // per-region staining differences (data/synthetic/stain_variation)
  bool pyramid = true;          // false: level 0 only, as some scanners' exports
  uint64_t seed = 0;
};

// Region (x, y)'s content: -1 for background, else the tissue class. Throws
// std::invalid_argument when class_weights is neither empty nor num_classes values ≥ 0 with a
// positive sum.
std::vector<int64_t> slide_layout(const SyntheticSlideOptions& options);

// Level 0 as pixels (what the slide file holds before JPEG compression).
RgbImage render_slide(const SyntheticSlideOptions& options);

// Region `region` (row-major in the layout) of render_slide's image, region_size square, before
// clipping at the slide's edges; `tissue_class` is slide_layout(options)[region], not background.
RgbImage render_region(const SyntheticSlideOptions& options, int64_t tissue_class, size_t region);

// Writes the slide (level 0 then, with `pyramid`, halvings until the longer side is ≤ 1024 px);
// throws std::runtime_error naming the file when libtiff fails.
void write_synthetic_slide(const SyntheticSlideOptions& options, const std::filesystem::path& file);

}  // namespace pathodino::data
