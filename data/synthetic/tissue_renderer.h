// Procedural H&E-like tissue: an eosin-pink stroma with fibre texture, haematoxylin-purple nuclei
// and clear vacuoles, in classes that differ in nuclei density, size, shape and stain. Used by the
// synthetic data source (labelled images, no files) and by `pathodino synth` (slides). Rendering
// is deterministic in (seed, class, index) and needs no LibTorch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/rgb_image.h"

namespace pathodino::data {

struct TissueClass {
  std::string_view name;
  double nuclei_per_10k_px;  // density
  double nucleus_radius_px;  // mean radius
  double elongation;         // 1 = round; larger = spindle-shaped
  double vacuole_share;      // share of the area that is clear (fat, lumen)
  double stain[3];           // RGB of the stroma, 0–255
};

// The built-in classes: stroma, lymphocytes, tumour, adipose, then variations of them when more
// classes are asked for.
TissueClass tissue_class(int64_t index);
// Unique per index: "stroma", …, then "stroma_1", … for the variations.
std::string tissue_class_name(int64_t index);

RgbImage render_tissue(const TissueClass& tissue, int64_t size, uint64_t seed);

}  // namespace pathodino::data
