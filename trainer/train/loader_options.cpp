#include "trainer/train/loader_options.h"

namespace pathodino::train {

data::BatchQueueOptions make_loader_options(const ExperimentConfig& config) {
  data::BatchQueueOptions options;
  options.batch_size = config.data.batch_size_per_rank;
  options.seed = static_cast<uint64_t>(config.run.seed);
  options.mean = config.data.mean;
  options.std = config.data.std;
  options.device_augment = config.data.device_augment;
  const ssl::IbotOptions& ibot = config.ssl.ibot;
  if (ibot.loss_weight > 0) {
    options.masking.grid = config.data.global_crops_size / config.model.patch_size;
    options.masking.probability = ibot.mask_sample_probability;
    options.masking.min_ratio = ibot.mask_ratio_min_max.at(0);
    options.masking.max_ratio = ibot.mask_ratio_min_max.at(1);
  }
  return options;
}

}  // namespace pathodino::train
