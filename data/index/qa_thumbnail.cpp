#include "data/index/qa_thumbnail.h"

#include <algorithm>
#include <array>

namespace pathodino::data {
namespace {

constexpr std::array<std::array<uint8_t, 3>, 4> kGridColours{
    {{255, 220, 0}, {255, 0, 255}, {0, 230, 255}, {255, 120, 0}}};
constexpr std::array<uint8_t, 3> kMaskBorder{0, 200, 0};

void put(RgbImage& image, int64_t x, int64_t y, const uint8_t* colour) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  std::copy_n(colour, 3, &image.pixels[static_cast<size_t>((y * image.width + x) * 3)]);
}

}  // namespace

const uint8_t* qa_grid_colour(size_t grid) {
  return kGridColours[grid % kGridColours.size()].data();
}

namespace {

// Tissue outlined, background tinted halfway to a light blue.
void shade_mask(const TissueMask& mask, RgbImage& out) {
  const auto mask_at = [&](int64_t x, int64_t y) {
    const int64_t mx = std::clamp<int64_t>(x * mask.width / out.width, 0, mask.width - 1);
    const int64_t my = std::clamp<int64_t>(y * mask.height / out.height, 0, mask.height - 1);
    return mask.tissue[static_cast<size_t>(my * mask.width + mx)] != 0;
  };
  const auto on_border = [&](int64_t x, int64_t y) {
    return (x > 0 && !mask_at(x - 1, y)) || (x + 1 < out.width && !mask_at(x + 1, y)) ||
           (y > 0 && !mask_at(x, y - 1)) || (y + 1 < out.height && !mask_at(x, y + 1));
  };
  for (int64_t y = 0; y < out.height; ++y)
    for (int64_t x = 0; x < out.width; ++x) {
      const bool tissue = mask_at(x, y);
      uint8_t* p = &out.pixels[static_cast<size_t>((y * out.width + x) * 3)];
      if (tissue && on_border(x, y)) {
        std::copy_n(kMaskBorder.data(), 3, p);
      } else if (!tissue) {
        p[0] = static_cast<uint8_t>((p[0] + 150) / 2);
        p[1] = static_cast<uint8_t>((p[1] + 190) / 2);
        p[2] = static_cast<uint8_t>((p[2] + 255) / 2);
      }
    }
}

// Each kept tile's outline, in its grid's colour.
void draw_tiles(const std::vector<TileGrid>& grids, int64_t slide_width, int64_t slide_height,
                RgbImage& out) {
  const double sx = static_cast<double>(out.width) / static_cast<double>(slide_width);
  const double sy = static_cast<double>(out.height) / static_cast<double>(slide_height);
  for (size_t g = 0; g < grids.size(); ++g) {
    const uint8_t* colour = qa_grid_colour(g);
    for (const TileLocation& tile : grids[g].kept) {
      const auto x0 = static_cast<int64_t>(static_cast<double>(tile.x) * sx);
      const auto y0 = static_cast<int64_t>(static_cast<double>(tile.y) * sy);
      const auto x1 = static_cast<int64_t>(static_cast<double>(tile.x + grids[g].extent) * sx) - 1;
      const auto y1 = static_cast<int64_t>(static_cast<double>(tile.y + grids[g].extent) * sy) - 1;
      for (int64_t x = x0; x <= x1; ++x) put(out, x, y0, colour), put(out, x, y1, colour);
      for (int64_t y = y0; y <= y1; ++y) put(out, x0, y, colour), put(out, x1, y, colour);
    }
  }
}

}  // namespace

RgbImage qa_thumbnail(const RgbImage& thumbnail, const TissueMask& mask,
                      const std::vector<TileGrid>& grids, int64_t slide_width,
                      int64_t slide_height) {
  RgbImage out = thumbnail;
  shade_mask(mask, out);
  draw_tiles(grids, slide_width, slide_height, out);
  return out;
}

}  // namespace pathodino::data
