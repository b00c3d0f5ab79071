// What `embed` writes, one job per feature file: the images to run through the backbone, in row
// order, and the rest of the file. A tile index gives a job per slide grid (feature_parts.h); an
// image folder gives a job per folder of images (its path relative to the root, with `/` as `_`,
// `images` for the root itself), split into numbered parts of at most `images_per_file`. The plan
// is the same on every rank, so job j is the same file everywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/index/pseudonyms.h"
#include "data/index/tile_index.h"
#include "data/source/image_folder_source.h"
#include "data/source/wsi_tile_source.h"
#include "trainer/eval/batch_read_ahead.h"
#include "trainer/features/feature_file.h"

namespace pathodino::embed {

struct EmbedJob {
  std::string name;                 // the file stem; the file is name + ".h5"
  eval::ImageList images;           // one per row
  features::SlideFeatures content;  // all but the features: info, coords or paths and labels
  std::string file() const { return name + ".h5"; }
};

// `common` carries what every file shares (backbone, its hash and width, the version). With
// `pseudonyms` files and their `slide` attribute name slides by pseudonym (Note [Pseudonyms]).
std::vector<EmbedJob> jobs_for_index(const data::WsiTileSource& source,
                                     const features::FeatureFileInfo& common,
                                     const data::Pseudonyms* pseudonyms = nullptr);

// `sources` are one image folder's splits (train, then val when it has them). `image_size` is
// recorded as the file's tile size. Throws naming both folders when two would share a name.
std::vector<EmbedJob> jobs_for_images(const std::vector<const data::ImageFolderSource*>& sources,
                                      const features::FeatureFileInfo& common, int64_t image_size,
                                      int64_t images_per_file);

}  // namespace pathodino::embed
