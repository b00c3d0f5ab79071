// The data a `data:` section asks for: the training image source (synthetic tissue, whole-slide
// tiles through an index, or image folders), the order the sampler draws it in (uniform, or
// balanced over a slide group column), and a labelled set to score embeddings against.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "data/data_options.h"
#include "data/image_source.h"
#include "data/index/pseudonyms.h"
#include "data/index/tile_index.h"
#include "data/loader/sample_order.h"

namespace pathodino::data {

// Throws std::runtime_error (or data::IndexError) naming the key or file at fault. `rank` ≥ 0
// prefixes the source's warnings (a quarantined slide) with the rank that saw them; with
// `pseudonyms` they name slides by pseudonym (Note [Pseudonyms]).
std::shared_ptr<const ImageSource> make_image_source(const DataOptions& options, uint64_t seed,
                                                     Split split, int rank = -1,
                                                     const Pseudonyms* pseudonyms = nullptr);

// The warning lines of a slide reader over `index` (SlideHandlePool::warn), on stderr: prefixed
// with the rank when `rank` ≥ 0, slides named by pseudonym with `pseudonyms`.
std::function<void(const std::string&)> slide_warnings(const TileIndex& index, int rank,
                                                       const Pseudonyms* pseudonyms);

struct SampleOrderChoice {
  std::shared_ptr<const SampleOrder> order;
  std::string description;  // one line for the run's start-up report
};
SampleOrderChoice make_sample_order(const DataOptions& options, const ImageSource& source,
                                    uint64_t seed);

// A labelled set: an image folder with train/ and val/ (or a CSV of images with label and split
// columns, image_folder_source.h), or a tile index whose manifest labels
// slides (`label_column`) and splits them (column `split`: train, val). Empty `dataset`: the
// training source when it is labelled (synthetic); refused for unlabelled sources.
struct LabelledSet {
  std::filesystem::path dataset;  // eval.knn_dataset
  std::string label_column;       // eval.knn_label_column
};
// With `pseudonyms`, a DICOM image that fails to read is named by its pseudonym.
std::shared_ptr<const ImageSource> make_labelled_source(const DataOptions& options,
                                                        const LabelledSet& set, uint64_t seed,
                                                        Split split,
                                                        const Pseudonyms* pseudonyms = nullptr);

}  // namespace pathodino::data
