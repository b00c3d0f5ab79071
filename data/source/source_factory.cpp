#include "data/source/source_factory.h"

#include <algorithm>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "data/index/tile_groups.h"
#include "data/source/dicom_source.h"
#include "data/source/image_folder_source.h"
#include "data/source/labelled_index_source.h"
#include "data/source/wsi_tile_source.h"
#include "data/synthetic/synthetic_source.h"

namespace pathodino::data {

std::function<void(const std::string&)> slide_warnings(const TileIndex& index, int rank,
                                                       const Pseudonyms* pseudonyms) {
  std::vector<std::pair<std::string, std::string>> names;
  if (pseudonyms) names = pseudonym_names(index, *pseudonyms);
  const std::string prefix =
      rank >= 0 ? "warning: rank " + std::to_string(rank) + ": " : "warning: ";
  return [prefix, names = std::move(names)](const std::string& line) {
    std::cerr << prefix + scrub(line, names) + "\n";
  };
}

std::shared_ptr<const ImageSource> make_image_source(const DataOptions& options, uint64_t seed,
                                                     Split split, int rank,
                                                     const Pseudonyms* pseudonyms) {
  switch (options.source) {
    case SourceKind::synthetic:
      return std::make_shared<SyntheticTissueSource>(options.synthetic, seed, split);
    case SourceKind::wsi: {
      if (split == Split::val)
        throw std::runtime_error("data.source wsi: slide tiles are unlabelled (no val split)");
      WsiReadOptions read;
      read.pool.tiff_fast_path = options.wsi.tiff_fast_path;
      read.scaled_decode = options.wsi.scaled_decode;
      auto index = std::make_shared<const TileIndex>(options.wsi.index);
      if (rank >= 0) read.pool.warn = slide_warnings(*index, rank, pseudonyms);
      return std::make_shared<WsiTileSource>(std::move(index), read);
    }
    case SourceKind::images:
      return std::make_shared<ImageFolderSource>(options.images.root, split);
    case SourceKind::dicom:
      return std::make_shared<DicomSource>(options.dicom.index, split, options.dicom.read,
                                           pseudonyms, rank);
  }
  throw std::logic_error("unknown data.source");
}

SampleOrderChoice make_sample_order(const DataOptions& options, const ImageSource& source,
                                    uint64_t seed) {
  const auto* tiles = dynamic_cast<const WsiTileSource*>(&source);
  if (options.source != SourceKind::wsi || options.wsi.balance_by.empty() || !tiles)
    return {std::make_shared<UniformOrder>(source.size(), seed),
            "each epoch a fresh permutation of all " + std::to_string(source.size()) + " images"};
  auto order = std::make_shared<GroupBalancedOrder>(
      tile_groups(tiles->index(), options.wsi.balance_by), options.wsi.balance_alpha, seed);
  std::ostringstream line;
  line << "balanced over " << options.wsi.balance_by << " (weight = tiles^"
       << options.wsi.balance_alpha << "), " << order->groups().size()
       << " groups, draws per epoch:";
  // A cluster column has hundreds of groups: the line names the first few.
  constexpr size_t kNamed = 12;
  for (size_t g = 0; g < std::min(order->groups().size(), kNamed); ++g) {
    int64_t tiles_in_group = 0;
    for (const auto& run : order->groups()[g].runs) tiles_in_group += run.second;
    line << " " << order->groups()[g].name << " " << order->quotas()[g] << " (of " << tiles_in_group
         << " tiles)";
  }
  if (order->groups().size() > kNamed) line << " …";
  return {order, line.str()};
}

std::shared_ptr<const ImageSource> make_labelled_source(const DataOptions& options,
                                                        const LabelledSet& set, uint64_t seed,
                                                        Split split, const Pseudonyms* pseudonyms) {
  if (!set.dataset.empty()) {
    if (!std::filesystem::is_regular_file(set.dataset) || set.dataset.extension() == ".csv")
      return std::make_shared<ImageFolderSource>(set.dataset, split);
    if (set.dataset.extension() == kDicomIndexExtension)
      return std::make_shared<DicomSource>(set.dataset, split, options.dicom.read, pseudonyms);
    WsiReadOptions read;
    read.pool.tiff_fast_path = options.wsi.tiff_fast_path;
    read.scaled_decode = options.wsi.scaled_decode;
    return std::make_shared<LabelledIndexSource>(std::make_shared<const TileIndex>(set.dataset),
                                                 set.label_column, split, read);
  }
  if (options.source == SourceKind::synthetic)
    return std::make_shared<SyntheticTissueSource>(options.synthetic, seed, split);
  throw std::runtime_error(
      "eval.knn_dataset: a labelled image folder (train/<class>/, val/<class>/) is needed to "
      "evaluate a model trained on an unlabelled source; `pathodino synth --labelled-tiles N` "
      "writes one for synthetic slides");
}

}  // namespace pathodino::data
