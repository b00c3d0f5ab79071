#include "trainer/mil/attention_maps.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "data/image_file/image_file.h"
#include "data/slide/openslide_handle.h"

namespace pathodino::mil {
namespace {

// Blue → red through white-free purple: attention relative to the slide's largest.
void tint(uint8_t* rgb, double relative) {
  const double alpha = 0.55;
  const double r = 255 * relative, g = 40, b = 255 * (1 - relative);
  rgb[0] = static_cast<uint8_t>((1 - alpha) * rgb[0] + alpha * r);
  rgb[1] = static_cast<uint8_t>((1 - alpha) * rgb[1] + alpha * g);
  rgb[2] = static_cast<uint8_t>((1 - alpha) * rgb[2] + alpha * b);
}

void draw_heat_map(const SlideBag& bag, const std::vector<float>& attention,
                   const data::OpenSlideHandle& slide, const std::filesystem::path& png) {
  const int32_t level = slide.level_count() - 1;
  const auto [width, height] = slide.level_size(level);
  const double down = slide.level_downsample(level);
  data::RgbImage image = slide.read_region(0, 0, level, width, height);
  const float top = *std::max_element(attention.begin(), attention.end());
  for (size_t t = 0; t < attention.size(); ++t) {
    const auto x0 = static_cast<int64_t>(std::floor(static_cast<double>(bag.coords[2 * t]) / down));
    const auto y0 =
        static_cast<int64_t>(std::floor(static_cast<double>(bag.coords[2 * t + 1]) / down));
    const auto side = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(static_cast<double>(bag.tile_size_level0) / down)));
    for (int64_t y = std::max<int64_t>(y0, 0); y < std::min(y0 + side, height); ++y)
      for (int64_t x = std::max<int64_t>(x0, 0); x < std::min(x0 + side, width); ++x)
        tint(&image.pixels[static_cast<size_t>((y * width + x) * 3)],
             top > 0 ? attention[t] / top : 0);
  }
  data::write_png(image, png);
}

}  // namespace

bool write_attention_map(const SlideBag& bag, const std::vector<float>& attention,
                         const std::filesystem::path& slide_file,
                         const std::filesystem::path& out_dir) {
  std::filesystem::create_directories(out_dir);
  std::ofstream csv(out_dir / (bag.slide + ".csv"));
  csv << "x,y,attention\n";
  for (size_t t = 0; t < attention.size(); ++t)
    csv << fmt::format("{},{},{:.6g}\n", bag.coords[2 * t], bag.coords[2 * t + 1], attention[t]);
  try {
    const data::OpenSlideHandle slide(slide_file);
    draw_heat_map(bag, attention, slide, out_dir / (bag.slide + ".png"));
    return true;
  } catch (const std::exception&) {
    return false;  // the CSV is there; the slide file is not readable from here
  }
}

}  // namespace pathodino::mil
