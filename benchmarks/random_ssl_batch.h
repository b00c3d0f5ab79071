// The SSL step benchmarks' input: random crops of the config's sizes, and the iBOT masks the
// loader would make for this rank's images of a step — so the step does the same work as in a run.
#pragma once

#include <torch/torch.h>

#include "trainer/config/experiment_config.h"
#include "trainer/ssl/student_teacher.h"
#include "trainer/train/batch_tensors.h"
#include "trainer/train/loader_options.h"

namespace pathodino::bench {

inline ssl::SslBatch random_ssl_batch(const ExperimentConfig& config, int64_t images) {
  const auto& d = config.data;
  ssl::SslBatch batch;
  batch.batch_size = images;
  batch.global_crops = torch::randn({2 * images, 3, d.global_crops_size, d.global_crops_size});
  batch.local_crops =
      torch::randn({d.local_crops_number * images, 3, d.local_crops_size, d.local_crops_size});
  return batch;
}

// Masks of images [first_slot, first_slot + batch size) of step `step`'s `global_images`.
inline void set_step_masks(ssl::SslBatch& batch, const ExperimentConfig& config,
                           int64_t global_images, int64_t step, int64_t first_slot) {
  batch.masks = train::ibot_masks_tensor(train::make_loader_options(config).masking, global_images,
                                         0, step, first_slot, batch.batch_size);
}

}  // namespace pathodino::bench
