// A slide's µm per pixel at level 0, from the first source that has it: OpenSlide's
// openslide.mpp-x/-y (vendor metadata) → the TIFF resolution tags (tiff.XResolution/YResolution
// with tiff.ResolutionUnit centimeter or inch) → the value the config gives for slides without
// any. Without all of these the slide is refused (its tiles would have an unknown scale).
#pragma once

#include <optional>
#include <string>

#include "data/slide/openslide_handle.h"

namespace pathodino::data {

struct MicronsPerPixel {
  double x = 0, y = 0;
  std::string source;  // "openslide.mpp", "tiff resolution" or "config"
};

// Throws SlideError naming the file when no source has it (and `fallback` is empty) or a value is
// not a positive number.
MicronsPerPixel microns_per_pixel(const OpenSlideHandle& slide,
                                  std::optional<double> fallback = std::nullopt);

}  // namespace pathodino::data
