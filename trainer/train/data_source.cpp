#include "trainer/train/data_source.h"

#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "data/index/tile_groups.h"
#include "data/source/image_folder_source.h"
#include "data/source/labelled_index_source.h"
#include "data/source/wsi_tile_source.h"
#include "data/synthetic/synthetic_source.h"

namespace pathodino::train {

std::shared_ptr<const data::ImageSource> make_image_source(const data::DataOptions& options,
                                                           uint64_t seed, data::Split split,
                                                           int rank) {
  switch (options.source) {
    case data::SourceKind::synthetic:
      return std::make_shared<data::SyntheticTissueSource>(options.synthetic, seed, split);
    case data::SourceKind::wsi: {
      if (split == data::Split::val)
        throw std::runtime_error("data.source wsi: slide tiles are unlabelled (no val split)");
      data::WsiReadOptions read;
      read.pool.tiff_fast_path = options.wsi.tiff_fast_path;
      if (rank >= 0)
        read.pool.warn = [rank](const std::string& line) {
          std::cerr << "warning: rank " + std::to_string(rank) + ": " + line + "\n";
        };
      return std::make_shared<data::WsiTileSource>(
          std::make_shared<const data::TileIndex>(options.wsi.index), read);
    }
    case data::SourceKind::images:
      return std::make_shared<data::ImageFolderSource>(options.images.root, split);
  }
  throw std::logic_error("unknown data.source");
}

SampleOrderChoice make_sample_order(const data::DataOptions& options,
                                    const data::ImageSource& source, uint64_t seed) {
  const auto* tiles = dynamic_cast<const data::WsiTileSource*>(&source);
  if (options.source != data::SourceKind::wsi || options.wsi.balance_by.empty() || !tiles)
    return {std::make_shared<data::UniformOrder>(source.size(), seed),
            "each epoch a fresh permutation of all " + std::to_string(source.size()) + " images"};
  auto order = std::make_shared<data::GroupBalancedOrder>(
      data::tile_groups(tiles->index(), options.wsi.balance_by), options.wsi.balance_alpha, seed);
  std::ostringstream line;
  line << "balanced over " << options.wsi.balance_by << " (weight = tiles^"
       << options.wsi.balance_alpha << "), draws per epoch:";
  for (size_t g = 0; g < order->groups().size(); ++g) {
    int64_t tiles_in_group = 0;
    for (const auto& run : order->groups()[g].runs) tiles_in_group += run.second;
    line << " " << order->groups()[g].name << " " << order->quotas()[g] << " (of " << tiles_in_group
         << " tiles)";
  }
  return {order, line.str()};
}

data::BatchQueueOptions make_loader_options(const ExperimentConfig& config) {
  data::BatchQueueOptions options;
  options.batch_size = config.data.batch_size_per_rank;
  options.seed = static_cast<uint64_t>(config.run.seed);
  options.mean = config.data.mean;
  options.std = config.data.std;
  const ssl::IbotOptions& ibot = config.ssl.ibot;
  if (ibot.loss_weight > 0) {
    options.masking.grid = config.data.global_crops_size / config.model.patch_size;
    options.masking.probability = ibot.mask_sample_probability;
    options.masking.min_ratio = ibot.mask_ratio_min_max.at(0);
    options.masking.max_ratio = ibot.mask_ratio_min_max.at(1);
  }
  return options;
}

std::shared_ptr<const data::ImageSource> make_labelled_source(const data::DataOptions& options,
                                                              const eval::EvalOptions& eval,
                                                              uint64_t seed, data::Split split) {
  if (!eval.knn_dataset.empty()) {
    if (!std::filesystem::is_regular_file(eval.knn_dataset))
      return std::make_shared<data::ImageFolderSource>(eval.knn_dataset, split);
    data::WsiReadOptions read;
    read.pool.tiff_fast_path = options.wsi.tiff_fast_path;
    return std::make_shared<data::LabelledIndexSource>(
        std::make_shared<const data::TileIndex>(eval.knn_dataset), eval.knn_label_column, split,
        read);
  }
  if (options.source == data::SourceKind::synthetic)
    return std::make_shared<data::SyntheticTissueSource>(options.synthetic, seed, split);
  throw std::runtime_error(
      "eval.knn_dataset: a labelled image folder (train/<class>/, val/<class>/) is needed to "
      "evaluate a model trained on an unlabelled source; `pathodino synth --labelled-tiles N` "
      "writes one for synthetic slides");
}

}  // namespace pathodino::train
