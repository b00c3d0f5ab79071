#include "data/slide/microns_per_pixel.h"

#include <cmath>
#include <cstdlib>

namespace pathodino::data {
namespace {

std::optional<double> positive_number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text->c_str(), &end);
  if (end == text->c_str() || !std::isfinite(value) || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

MicronsPerPixel microns_per_pixel(const OpenSlideHandle& slide, std::optional<double> fallback) {
  const auto mpp_x = positive_number(slide.property("openslide.mpp-x"));
  const auto mpp_y = positive_number(slide.property("openslide.mpp-y"));
  if (mpp_x && mpp_y) return {*mpp_x, *mpp_y, "openslide.mpp"};

  const auto unit = slide.property("tiff.ResolutionUnit");
  const auto res_x = positive_number(slide.property("tiff.XResolution"));
  const auto res_y = positive_number(slide.property("tiff.YResolution"));
  if (unit && res_x && res_y && (*unit == "centimeter" || *unit == "inch")) {
    const double microns_per_unit = *unit == "centimeter" ? 1e4 : 25.4e3;
    return {microns_per_unit / *res_x, microns_per_unit / *res_y, "tiff resolution"};
  }
  if (fallback) {
    if (!(*fallback > 0))
      throw SlideError(slide.file().string() + ": the configured µm/px is not positive");
    return {*fallback, *fallback, "config"};
  }
  throw SlideError(slide.file().string() +
                   ": no µm/px (no openslide.mpp-x/-y, no TIFF resolution in centimeter or inch); "
                   "set data.wsi.fallback_mpp to use such slides anyway");
}

}  // namespace pathodino::data
