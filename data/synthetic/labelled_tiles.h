// A labelled tile set for kNN evaluation of models pretrained on synthetic slides: tiles of known
// tissue class cut from further synthetic slides (rendered like `pathodino synth`'s, never the
// training slides), written as DIR/train/<class>/*.png (the kNN bank) and DIR/val/<class>/*.png
// (queries) — queries come from other slides than the bank, so the score measures what carries
// across slides. Readable by ImageFolderSource (eval.knn_dataset).
#pragma once

#include <cstdint>
#include <filesystem>

#include "data/synthetic/synthetic_slide.h"

namespace pathodino::data {

struct LabelledTileOptions {
  int64_t tiles_per_class = 64;  // per split
  int64_t tile_size = 224;       // pixels at the slides' µm/px
  int64_t tiles_per_region = 2;  // cut from each tissue region of a slide
};

// `slide` gives size, classes, µm/px and stain variation; seeds are derived from slide.seed.
// Returns the number of tiles written.
int64_t write_labelled_tiles(const SyntheticSlideOptions& slide, const LabelledTileOptions& options,
                             const std::filesystem::path& dir);

// One split of write_labelled_tiles (0: DIR/train, 1: DIR/val), independent of the other.
int64_t write_labelled_split(const SyntheticSlideOptions& slide, const LabelledTileOptions& options,
                             const std::filesystem::path& dir, int split);

}  // namespace pathodino::data
