// The loader's options for a run: batch size, seed, normalisation and the iBOT masking of the
// global crops, read from the data, model and SSL sections.
#pragma once

#include "data/loader/batch_queue.h"
#include "trainer/config/experiment_config.h"

namespace pathodino::train {

// Batch size, seed, normalisation and iBOT masking of the global crops (none when iBOT's loss
// weight is 0) for a run of `config`; threads, prefetch and memory are the caller's.
data::BatchQueueOptions make_loader_options(const ExperimentConfig& config);

}  // namespace pathodino::train
