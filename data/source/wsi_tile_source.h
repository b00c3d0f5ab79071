// WsiTileSource: training tiles cut on the fly from whole-slide images through a memory-mapped tile
// index — tile i is the index's tile i, read at its grid's pyramid level and resized to the grid's
// tile size when the level is finer than the target µm/px. Unlabelled.
// Bad data never stops training: a read that fails after the handle pool's reopen is skipped and
// counted, and a deterministic stand-in tile (the next readable one of a fixed probe sequence from
// i) takes its place, so batches keep their size; slides that keep failing are quarantined.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "data/image_source.h"
#include "data/index/tile_index.h"
#include "data/slide/slide_handle_pool.h"

namespace pathodino::data {

struct WsiReadOptions {
  SlidePoolOptions pool;
  // A tile read from a level 2, 4 or 8 times finer than its µm/px is decoded at that fraction
  // (the fast path's DCT scaling) where it can be, instead of decoded whole and then shrunk.
  bool scaled_decode = true;
  int64_t max_stand_ins = 16;  // probes for a readable stand-in before the read is an error
};

class WsiTileSource final : public ImageSource {
 public:
  WsiTileSource(std::shared_ptr<const TileIndex> index, WsiReadOptions options = {});
  int64_t size() const override { return index_->size(); }
  LabelledImage read(int64_t index) const override;
  std::vector<std::string> class_names() const override { return {}; }
  std::string describe() const override;
  SourceHealth health() const override;
  const TileIndex& index() const { return *index_; }
  int64_t fast_path_slides() const { return pool_.fast_path_slides(); }  // open ones

 private:
  RgbImage read_tile(int64_t index) const;  // throws SlideError

  std::shared_ptr<const TileIndex> index_;
  WsiReadOptions options_;
  mutable SlideHandlePool pool_;
  mutable std::atomic<int64_t> skipped_{0};
};

}  // namespace pathodino::data
