// Where a run computes and in which precision: run.device auto picks CUDA when a GPU is visible;
// run.precision auto means bf16 autocast on CUDA and fp32 on CPU (bf16 on CPU is refused).
// One GPU per local rank: local rank i takes cuda:(i mod visible GPUs).
#pragma once

#include <torch/types.h>

#include "trainer/config/experiment_config.h"

namespace pathodino::train {

struct DeviceChoice {
  torch::Device device{torch::kCPU};
  bool bf16_autocast = false;
};

// Throws when CUDA is asked for and absent.
DeviceChoice choose_device(const RunOptions& run, int local_rank = 0);

}  // namespace pathodino::train
