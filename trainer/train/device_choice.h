// Where a run computes and in which precision: run.device auto picks CUDA when a GPU is visible;
// run.precision auto means bf16 autocast on CUDA and fp32 on CPU (bf16 on CPU is refused).
#pragma once

#include <torch/types.h>

#include "trainer/config/experiment_config.h"

namespace pathodino::train {

struct DeviceChoice {
  torch::Device device{torch::kCPU};
  bool bf16_autocast = false;
};

DeviceChoice choose_device(const RunOptions& run);  // throws when CUDA is asked for and absent

}  // namespace pathodino::train
