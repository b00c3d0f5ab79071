#include "data/synthetic/labelled_tiles.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/image_file/image_file.h"
#include "data/seed_mix.h"
#include "data/synthetic/tissue_renderer.h"

namespace pathodino::data {

int64_t write_labelled_split(const SyntheticSlideOptions& slide, const LabelledTileOptions& options,
                             const std::filesystem::path& dir, int split) {
  if (options.tile_size > slide.region_size)
    throw std::invalid_argument("labelled tiles: tile size " + std::to_string(options.tile_size) +
                                " exceeds the region size " + std::to_string(slide.region_size));
  const std::filesystem::path out = dir / (split == 0 ? "train" : "val");
  const int64_t cols = (slide.width + slide.region_size - 1) / slide.region_size;
  std::vector<int64_t> count(static_cast<size_t>(slide.num_classes), 0);
  for (int64_t c = 0; c < slide.num_classes; ++c)
    std::filesystem::create_directories(out / tissue_class_name(c));
  // Each split renders its own slides (disjoint seeds) until every class is full; a tile never
  // crosses its region, so only the regions it is cut from are rendered.
  for (uint64_t s = 0; *std::min_element(count.begin(), count.end()) < options.tiles_per_class;
       ++s) {
    if (s > 1000) throw std::runtime_error("labelled tiles: a class never appears in the layouts");
    SyntheticSlideOptions o = slide;
    o.seed = mix_seed({slide.seed, 0x1abe1, static_cast<uint64_t>(split), s});
    const std::vector<int64_t> layout = slide_layout(o);
    std::mt19937_64 rng(mix_seed({o.seed, 0x7113}));
    for (size_t r = 0; r < layout.size(); ++r) {
      const int64_t c = layout[r];
      const int64_t x0 = static_cast<int64_t>(r) % cols * slide.region_size;
      const int64_t y0 = static_cast<int64_t>(r) / cols * slide.region_size;
      const int64_t room_x = std::min(slide.region_size, slide.width - x0) - options.tile_size;
      const int64_t room_y = std::min(slide.region_size, slide.height - y0) - options.tile_size;
      if (c < 0 || room_x < 0 || room_y < 0 || count[c] >= options.tiles_per_class) continue;
      const RgbImage region = render_region(o, c, r);
      for (int64_t t = 0; t < options.tiles_per_region && count[c] < options.tiles_per_class; ++t) {
        const int64_t x = static_cast<int64_t>(rng() % static_cast<uint64_t>(room_x + 1));
        const int64_t y = static_cast<int64_t>(rng() % static_cast<uint64_t>(room_y + 1));
        RgbImage tile;
        tile.width = tile.height = options.tile_size;
        tile.pixels.resize(static_cast<size_t>(options.tile_size * options.tile_size * 3));
        for (int64_t row = 0; row < options.tile_size; ++row)
          std::copy_n(&region.pixels[((y + row) * slide.region_size + x) * 3],
                      options.tile_size * 3, &tile.pixels[row * options.tile_size * 3]);
        char name[64];
        std::snprintf(name, sizeof(name), "%04lld.png", static_cast<long long>(count[c]));
        write_png(tile, out / tissue_class_name(c) / name);
        ++count[c];
      }
    }
  }
  return options.tiles_per_class * slide.num_classes;
}

int64_t write_labelled_tiles(const SyntheticSlideOptions& slide, const LabelledTileOptions& options,
                             const std::filesystem::path& dir) {
  return write_labelled_split(slide, options, dir, 0) +
         write_labelled_split(slide, options, dir, 1);
}

}  // namespace pathodino::data
