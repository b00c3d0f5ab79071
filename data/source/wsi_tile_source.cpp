#include "data/source/wsi_tile_source.h"

#include <algorithm>
#include <cmath>

#include "data/augment/resized_crop.h"
#include "data/seed_mix.h"

namespace pathodino::data {
namespace {

std::vector<std::filesystem::path> slide_paths(const TileIndex& index) {
  std::vector<std::filesystem::path> paths;
  for (const IndexedSlide& slide : index.slides()) paths.emplace_back(slide.path);
  return paths;
}

RgbImage resize_to(const RgbImage& image, int64_t size) {
  const FloatImage resized = crop_and_resize(image, {0, 0, image.height, image.width}, size);
  RgbImage out;
  out.width = out.height = size;
  out.pixels.resize(static_cast<size_t>(size * size * 3));
  for (int c = 0; c < 3; ++c) {
    const float* plane = resized.plane(c);
    for (int64_t i = 0; i < size * size; ++i)
      out.pixels[i * 3 + c] =
          static_cast<uint8_t>(std::clamp(std::lround(plane[i] * 255.0f), 0l, 255l));
  }
  return out;
}

// The largest of 8, 4, 2 that divides the read size and leaves at least the tile size; else 1.
int decode_reduction(int64_t read_size, int64_t tile_size) {
  for (const int r : {8, 4, 2})
    if (read_size % r == 0 && read_size / r >= tile_size) return r;
  return 1;
}

}  // namespace

WsiTileSource::WsiTileSource(std::shared_ptr<const TileIndex> index, WsiReadOptions options)
    : index_(std::move(index)),
      options_(std::move(options)),
      pool_(slide_paths(*index_), options_.pool) {
  if (index_->size() == 0) throw IndexError(index_->file().string() + ": the index holds no tile");
}

RgbImage WsiTileSource::read_tile(int64_t i) const {
  const IndexedTile& tile = index_->tile(i);
  const IndexedGrid& grid = index_->grids()[tile.grid];
  const int reduce = options_.scaled_decode ? decode_reduction(grid.read_size, grid.tile_size) : 1;
  // The region comes back at 1/reduce of its size or, where that is declined, whole.
  RgbImage region = pool_.read_region(grid.slide, tile.x, tile.y, grid.level, grid.read_size,
                                      grid.read_size, reduce);
  if (region.width == grid.tile_size && region.height == grid.tile_size) return region;
  return resize_to(region, grid.tile_size);
}

LabelledImage WsiTileSource::read(int64_t i) const {
  int64_t candidate = i;
  for (int64_t probe = 0;; ++probe) {
    try {
      return {read_tile(candidate), -1};
    } catch (const SlideError&) {
      ++skipped_;
      if (probe >= options_.max_stand_ins) throw;
    }
    candidate =
        static_cast<int64_t>(mix_seed({static_cast<uint64_t>(i), static_cast<uint64_t>(probe)}) %
                             static_cast<uint64_t>(index_->size()));
  }
}

std::string WsiTileSource::describe() const {
  return "whole-slide tiles from " + index_->file().string() + ": " +
         std::to_string(index_->size()) + " tiles of " + std::to_string(index_->slides().size()) +
         " slides";
}

SourceHealth WsiTileSource::health() const { return {skipped_.load(), pool_.quarantined_count()}; }

}  // namespace pathodino::data
