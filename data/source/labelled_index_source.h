// LabelledIndexSource: a labelled tile set read through a tile index — the tiles of the slides
// whose manifest gives them a class (`label_column`, e.g. `label`) and the requested split
// (`split` column: train = the kNN bank / probe training set, val = the queries). Splits go by
// slide, so a score measures what carries across slides. Class names are the column's values,
// sorted; tile i of the split is the index's tile tiles()[i], read like any training tile.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "data/image_source.h"
#include "data/source/wsi_tile_source.h"

namespace pathodino::data {

class LabelledIndexSource final : public ImageSource {
 public:
  // Throws IndexError naming the index and the column when no slide has a label, or the split
  // has no tiles.
  LabelledIndexSource(std::shared_ptr<const TileIndex> index, const std::string& label_column,
                      Split split, WsiReadOptions options = {});
  int64_t size() const override { return static_cast<int64_t>(tiles_.size()); }
  LabelledImage read(int64_t index) const override;
  std::vector<std::string> class_names() const override { return classes_; }
  std::string describe() const override;
  SourceHealth health() const override { return tiles_source_.health(); }
  // The slide manifest's column (site, scanner, patient…) for each tile.
  std::optional<std::vector<std::string>> group_values(const std::string& column) const override;

 private:
  WsiTileSource tiles_source_;
  std::string label_column_;
  Split split_;
  std::vector<std::string> classes_;
  std::vector<int64_t> tiles_, labels_;  // index tile and class of each of the split's tiles
  int64_t slides_ = 0;
};

}  // namespace pathodino::data
